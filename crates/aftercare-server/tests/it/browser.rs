//! A headless-browser smoke test of the web UI: Chromium, driven over the DevTools protocol on
//! a pipe (`--remote-debugging-pipe`: NUL-separated JSON on file descriptors 3 and 4, so no
//! WebSocket client and no Node), against the server on a real port. It logs in, walks every
//! page, and checks that hostile names in the data stay text, that no script error or
//! Content-Security-Policy violation happens, and that logging out shows the login form. With
//! the real GHSA records synced, the releases carry lodash 4.17.19: it filters the findings,
//! opens one, checks that the assessment form offers the server's vocabulary (fetched once),
//! is refused an incomplete assessment with the field named, and records a not_affected
//! assessment through the form.
//!
//! Another walk, on each backend, covers the device registry and a rollout: the device list
//! and its filters, the registration form and its token shown once, a release's artifacts
//! uploaded and listed, the rollout form refused by the approval gate and then accepted, the
//! rollout's page following its devices' reports by itself to its hold point, the signed go
//! recorded there through the page (after a refused wrong password) and the next wave
//! started, then on until its error threshold pauses it, a device's status history, the
//! cancellation, and axe-core on each page.
//! `AFTERCARE_UI_SCREENSHOTS` names a directory to save pictures of those pages in.
//!
//! CI installs Chromium (`.ci/run`); elsewhere the test is skipped, with a note, when no
//! browser is found (`AFTERCARE_CHROMIUM` names one explicitly).

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use aftercare_server::{AppState, Settings};
use aftercare_service::access::account;
use aftercare_service::access::auth::Principal;
use aftercare_service::access::password::Password;
use aftercare_service::intel::FeedKind;
use aftercare_service::intel::feed::{self, NewFeedRequest};
use aftercare_service::intel::sync::{NoProgress, SyncOptions};
use aftercare_service::inventory::{self, SbomFile};
use aftercare_service::rollout::ddi::FeedbackBody;
use aftercare_service::triage::case;
use aftercare_service::{Context, Workspace, WorkspaceLocation};
use serde_json::{Value, json};

/// Names that would run script if any page put them into HTML.
const HOSTILE_PRODUCT: &str = "Pump <img src=x onerror=\"window.__xss='product'\"> a/b";
const HOSTILE_DESCRIPTION: &str = "<script>window.__xss='description'</script>";
const HOSTILE_COMPONENT: &str = "<b>bold</b><svg onload=\"window.__xss='component'\">";
const HOSTILE_REFERENCE: &str = "<i>REF-1</i>";
const HOSTILE_IMPACT: &str =
    "<img src=x onerror=\"window.__xss='impact'\"> lodash.template is never called";
const VULNERABILITY: &str = "CVE-2021-33503";
/// What the GHSA records say of lodash 4.17.19 (command injection in `template`).
const LODASH_VULNERABILITY: &str = "CVE-2021-23337";

const WAIT: Duration = Duration::from_secs(15);

/// The browser to use: `AFTERCARE_CHROMIUM`, else the first of the usual names on `PATH`.
fn chromium() -> Option<String> {
    if let Some(explicit) = std::env::var_os("AFTERCARE_CHROMIUM") {
        return Some(explicit.to_string_lossy().into_owned());
    }
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser", "google-chrome", "chrome"] {
            if dir.join(name).is_file() {
                return Some(dir.join(name).to_string_lossy().into_owned());
            }
        }
    }
    None
}

/// A CycloneDX 1.5 document with one hostile component name and a vulnerable lodash.
fn sbom(version: &str, tokio: &str) -> Vec<u8> {
    json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": format!("urn:uuid:00000000-0000-4000-8000-00000000000{}", version.len()),
        "version": 1,
        "metadata": {
            "timestamp": "2025-01-15T09:00:00Z",
            "authors": [{"name": "Browser test"}],
            "component": {"type": "firmware", "name": "pump", "version": version, "bom-ref": "pump"}
        },
        "components": [
            {"type": "library", "bom-ref": "tokio", "name": "tokio", "version": tokio,
             "purl": format!("pkg:cargo/tokio@{tokio}"), "supplier": {"name": "Tokio"}},
            {"type": "library", "bom-ref": "hostile", "name": HOSTILE_COMPONENT, "version": "1.0.0",
             "purl": "pkg:generic/hostile@1.0.0"},
            {"type": "library", "bom-ref": "lodash", "name": "lodash", "version": "4.17.19",
             "purl": "pkg:npm/lodash@4.17.19"}
        ],
        "dependencies": [{"ref": "pump", "dependsOn": ["tokio", "hostile", "lodash"]}]
    })
    .to_string()
    .into_bytes()
}

/// A workspace with an administrator, the GHSA records, a product with two releases (and
/// so findings) and a regulatory case.
async fn workspace() -> (aftercare_store::testing::TestStore, Workspace, i64) {
    let test = aftercare_store::testing::sqlite().await;
    let workspace = Workspace::from_store(
        test.store.clone(),
        WorkspaceLocation::Database(test.url.clone()),
    );
    let admin = aftercare_service::flow::init(
        &workspace,
        "admin",
        "Ada Admin",
        &Password::new("correct horse battery"),
        jiff::Timestamp::now(),
    )
    .await
    .unwrap();
    let context = Context::new(account::actor_of(&admin), jiff::Timestamp::now());
    let principal = Principal::local(&admin).unwrap();
    feed::add(
        &workspace,
        &context,
        &principal,
        &NewFeedRequest {
            name: "ghsa".into(),
            kind: FeedKind::Osv,
            url: None,
            path: Some(
                aftercare_testdata::path("osv/GHSA-and-fixtures.zip")
                    .display()
                    .to_string(),
            ),
            ecosystem: None,
        },
    )
    .await
    .unwrap();
    aftercare_service::flow::sync(
        &workspace,
        &context,
        &principal,
        "ghsa",
        &SyncOptions::default(),
        &NoProgress,
    )
    .await
    .unwrap();
    inventory::add_product(
        &workspace,
        &context,
        HOSTILE_PRODUCT,
        Some(HOSTILE_DESCRIPTION),
    )
    .await
    .unwrap();
    let mut newest = 0;
    for (version, tokio) in [("1.0.0", "1.18.0"), ("1.1.0", "1.20.4")] {
        let outcome = aftercare_service::flow::import_release(
            &workspace,
            &context,
            HOSTILE_PRODUCT,
            version,
            Some(&SbomFile {
                name: format!("pump-{version}.cdx.json"),
                bytes: sbom(version, tokio),
            }),
        )
        .await
        .unwrap();
        newest = outcome.import.release.id;
    }
    // A case with a history: a report 35 days ago, an uncontrolled determination 12 days ago
    // (as the pipeline's own steps apply them).
    let now = jiff::Timestamp::now();
    let days_ago = |days: i64| now - jiff::SignedDuration::from_hours(24 * days);
    for event in [
        aftercare_risk::Event {
            at: days_ago(35),
            kind: aftercare_risk::EventKind::ReportReceived {
                reference: HOSTILE_REFERENCE.into(),
            },
        },
        aftercare_risk::Event {
            at: days_ago(12),
            kind: aftercare_risk::EventKind::DeterminationMade {
                risk: aftercare_risk::RiskClass::Uncontrolled,
            },
        },
    ] {
        case::apply_unchecked(&workspace, &context, HOSTILE_PRODUCT, VULNERABILITY, event)
            .await
            .unwrap();
    }
    (test, workspace, newest)
}

/// Chromium on a DevTools pipe, with one page attached.
struct Browser {
    child: Child,
    commands: ChildStdin,
    messages: Receiver<Value>,
    next_id: u64,
    session: String,
    /// Exceptions and console errors seen so far.
    problems: Vec<String>,
    _profile: tempfile::TempDir,
}

impl Browser {
    fn launch(executable: &str) -> Browser {
        let profile = tempfile::tempdir().unwrap();
        // The shell hands Chromium our pipes as descriptors 3 (commands in) and 4 (messages
        // out), then points its own stdin and stdout elsewhere.
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(r#"exec "$0" "$@" 3<&0 4>&1 0</dev/null 1>&2"#)
            .arg(executable)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--remote-debugging-pipe",
                "--window-size=1280,900",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let commands = child.stdin.take().unwrap();
        let output = child.stdout.take().unwrap();
        let (sender, messages) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(output);
            loop {
                let mut message = Vec::new();
                match reader.read_until(0, &mut message) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        message.pop_if(|b| *b == 0);
                        let Ok(value) = serde_json::from_slice::<Value>(&message) else {
                            continue;
                        };
                        if sender.send(value).is_err() {
                            break;
                        }
                    }
                }
            }
        });
        let mut browser = Browser {
            child,
            commands,
            messages,
            next_id: 0,
            session: String::new(),
            problems: Vec::new(),
            _profile: profile,
        };
        let target = browser.call(None, "Target.createTarget", json!({"url": "about:blank"}));
        let attached = browser.call(
            None,
            "Target.attachToTarget",
            json!({"targetId": target["targetId"], "flatten": true}),
        );
        browser.session = attached["sessionId"].as_str().unwrap().to_string();
        for domain in ["Runtime.enable", "Page.enable", "Log.enable"] {
            browser.command(domain, json!({}));
        }
        browser
    }

    /// Sends a command (to the page's session, or the browser) and waits for its answer.
    fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({"id": id, "method": method, "params": params});
        if let Some(session) = session {
            message["sessionId"] = json!(session);
        }
        let mut bytes = serde_json::to_vec(&message).unwrap();
        bytes.push(0);
        self.commands.write_all(&bytes).unwrap();
        self.commands.flush().unwrap();
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let message = match self.messages.recv_timeout(left) {
                Ok(message) => message,
                Err(RecvTimeoutError::Timeout) => panic!("no answer to {method} within {WAIT:?}"),
                Err(RecvTimeoutError::Disconnected) => panic!("the browser exited during {method}"),
            };
            if message["id"] == json!(id) {
                assert!(
                    message.get("error").is_none(),
                    "{method}: {}",
                    message["error"]
                );
                return message["result"].clone();
            }
            self.observe(&message);
        }
    }

    /// Records script exceptions and console errors (but the expected 401s of a logged-out
    /// page: `auth/me` at start, the failed login; and the 400 of the incomplete assessment
    /// and of the too short cancellation, the 403 of the wrong signing passwords (an approval,
    /// a rollout's go), and the refused rollout the tests submit on purpose).
    fn observe(&mut self, message: &Value) {
        match message["method"].as_str() {
            Some("Runtime.exceptionThrown") => self.problems.push(format!(
                "exception: {}",
                message["params"]["exceptionDetails"]
            )),
            Some("Log.entryAdded") => {
                let entry = &message["params"]["entry"];
                let text = entry["text"].as_str().unwrap_or_default();
                let url = entry["url"].as_str().unwrap_or_default();
                let expected = (text.contains("status of 401")
                    && (url.ends_with("/api/v1/auth/me") || url.ends_with("/api/v1/auth/login")))
                    || ((text.contains("status of 400") || text.contains("status of 403"))
                        && url.contains("/api/v1/findings/")
                        && url.ends_with("/assessment"))
                    || (text.contains("status of 403")
                        && ((url.contains("/api/v1/patches/") && url.ends_with("/approve"))
                            || (url.contains("/api/v1/rollouts/") && url.ends_with("/decide"))))
                    || (text.contains("status of 400")
                        && url.contains("/api/v1/plans/")
                        && url.ends_with("/close"))
                    || (text.contains("status of 4") && url.ends_with("/api/v1/rollouts"));
                if entry["level"] == "error" && !expected {
                    self.problems.push(format!("console: {text} {url}"));
                }
            }
            Some("Runtime.consoleAPICalled") if message["params"]["type"] == "error" => {
                self.problems
                    .push(format!("console.error: {}", message["params"]["args"]));
            }
            _ => {}
        }
    }

    fn command(&mut self, method: &str, params: Value) -> Value {
        let session = self.session.clone();
        self.call(Some(&session), method, params)
    }

    /// Evaluates an expression in the page (awaiting a promise) and returns its value.
    fn eval(&mut self, expression: &str) -> Value {
        let result = self.command(
            "Runtime.evaluate",
            json!({"expression": expression, "awaitPromise": true, "returnByValue": true}),
        );
        assert!(
            result.get("exceptionDetails").is_none(),
            "{expression}: {}",
            result["exceptionDetails"]
        );
        result["result"]["value"].clone()
    }

    /// Waits until an expression is truthy; returns its value.
    fn wait_for(&mut self, what: &str, expression: &str) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let value = self.eval(expression);
            let truthy = match &value {
                Value::Null => false,
                Value::Bool(b) => *b,
                Value::Number(n) => n.as_f64() != Some(0.0),
                Value::String(s) => !s.is_empty(),
                _ => true,
            };
            if truthy {
                return value;
            }
            if Instant::now() > deadline {
                let main = self.eval("document.querySelector('main')?.textContent ?? ''");
                panic!("timed out waiting for {what} ({expression}); the page shows: {main}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn go(&mut self, hash: &str) {
        self.eval(&format!("location.hash = {}", json!(hash)));
    }

    fn text(&mut self) -> String {
        self.eval("document.querySelector('main').textContent")
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Ask politely, then make sure: the child is the browser itself (the shell exec'd it).
        let _ = self
            .commands
            .write_all(b"{\"id\":999999,\"method\":\"Browser.close\",\"params\":{}}\0");
        let _ = self.commands.flush();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the assessment form should offer: the vocabulary the server serves, as options
/// (`[value, text]`) after each select's empty choice, and fetched once per page load.
fn served_choices() -> Value {
    let vocabulary = aftercare_api::vocabulary::VocabularyDto::new();
    let plain = |terms: &[aftercare_api::vocabulary::TermDto]| -> Vec<Value> {
        terms.iter().map(|t| json!([t.value, t.label])).collect()
    };
    let described = |terms: &[aftercare_api::vocabulary::TermDto]| -> Vec<Value> {
        terms
            .iter()
            .map(|t| match &t.description {
                Some(description) => json!([t.value, format!("{}: {description}", t.label)]),
                None => json!([t.value, t.label]),
            })
            .collect()
    };
    let with_empty = |empty: &str, rest: Vec<Value>| -> Value {
        Value::Array(std::iter::once(json!(["", empty])).chain(rest).collect())
    };
    json!({
        "status": plain(&vocabulary.vex_statuses),
        "justification": with_empty(
            "— choose —",
            vocabulary
                .justifications
                .iter()
                .map(|t| json!([t.value, format!("{}: {}", t.label, t.description)]))
                .collect(),
        ),
        "scope": plain(&vocabulary.scopes),
        "harm": with_empty("— no determination —", described(&vocabulary.harm_severities)),
        "meaning": described(&vocabulary.signature_meanings),
        "override": with_empty("— keep what the policy computes —", plain(&vocabulary.risk_classes)),
        "responses": vocabulary.responses.iter().map(|t| t.value.clone()).collect::<Vec<_>>(),
        "fetches": 1,
    })
}

/// Fills a form's fields by selector and submits it (as a person pressing Enter would).
fn fill_and_submit(browser: &mut Browser, form: &str, fields: &[(&str, &str)]) {
    let mut script = String::new();
    for (selector, value) in fields {
        script.push_str(&format!(
            "document.querySelector({}).value = {};",
            json!(selector),
            json!(value)
        ));
    }
    script.push_str(&format!(
        "document.querySelector({}).requestSubmit(); true",
        json!(form)
    ));
    browser.eval(&script);
}

/// Nothing the data carried became markup or ran.
fn assert_no_injection(browser: &mut Browser, page: &str) {
    let injected = browser.eval(
        "[window.__xss ?? null, document.querySelectorAll('main img, main script, main svg, main b, main i').length]",
    );
    assert_eq!(
        injected,
        json!([null, 0]),
        "{page}: hostile data was parsed as HTML"
    );
}

#[test]
fn a_browser_logs_in_walks_every_page_and_hostile_data_stays_text() {
    let Some(executable) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install Chromium (.ci/run) for the browser test"
        );
        eprintln!("browser test skipped: no chromium on PATH (set AFTERCARE_CHROMIUM)");
        return;
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (_test, workspace, newest) = runtime.block_on(workspace());
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let address = listener.local_addr().unwrap();
    let router = aftercare_server::router(AppState::new(workspace, Settings::default()));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = runtime.spawn(aftercare_server::serve(router, listener, async {
        let _ = stopped.await;
    }));
    let base = format!("http://{address}");

    let mut browser = Browser::launch(&executable);
    browser.command("Page.navigate", json!({"url": format!("{base}/")}));
    browser.wait_for(
        "the login form",
        "document.querySelector('input[name=login]') !== null",
    );

    // A wrong password is refused with the server's message.
    fill_and_submit(
        &mut browser,
        "form.login-form",
        &[
            ("input[name=login]", "admin"),
            ("input[name=password]", "wrong"),
        ],
    );
    browser.wait_for(
        "the refusal",
        "document.querySelector('.login .alert-error')?.textContent.includes('Login failed')",
    );

    // The right one shows the dashboard with products and clocks.
    fill_and_submit(
        &mut browser,
        "form.login-form",
        &[
            ("input[name=login]", "admin"),
            ("input[name=password]", "correct horse battery"),
        ],
    );
    browser.wait_for(
        "the caller's name",
        "document.getElementById('who').textContent.includes('Ada Admin')",
    );
    browser.wait_for(
        "the dashboard's sections",
        "document.querySelectorAll('main .section-body').length === 5 && document.querySelectorAll('main .section-body[aria-busy]').length === 0",
    );
    let dashboard = browser.text();
    assert!(dashboard.contains(HOSTILE_PRODUCT), "{dashboard}");
    assert!(dashboard.contains(HOSTILE_DESCRIPTION), "{dashboard}");
    assert!(
        dashboard.contains("Customer communication") && dashboard.contains("missed, not yet done"),
        "the lapsed clock is overdue: {dashboard}"
    );
    assert!(
        dashboard.contains("Remediation"),
        "remediation is due within 30 days: {dashboard}"
    );
    assert!(
        dashboard.contains("Open findings") && dashboard.contains("Not assessed"),
        "open findings by severity: {dashboard}"
    );
    let high = browser.eval(
        "document.querySelector('main a[href=\"#/findings?severity=high\"]')?.getAttribute('aria-label') ?? ''",
    );
    assert!(
        high.as_str().unwrap().ends_with("open high findings")
            && !high.as_str().unwrap().starts_with("0 "),
        "lodash's high findings are counted: {high}"
    );
    assert_no_injection(&mut browser, "dashboard");

    // The case page, reached by its link: a product name with a slash survives the round trip.
    browser.eval("document.querySelector('main a.id').click(); true");
    browser.wait_for(
        "the case page",
        "document.querySelector('h1')?.textContent.startsWith('CVE-2021-33503 in ')",
    );
    browser.wait_for(
        "the event log",
        "document.querySelector('main').textContent.includes('Event log')",
    );
    let case_page = browser.text();
    assert!(case_page.contains(HOSTILE_REFERENCE), "{case_page}");
    assert!(case_page.contains("uncontrolled"), "{case_page}");
    let zones = browser
        .eval("[...document.querySelectorAll('.deadline')].map((d) => d.textContent).join(' | ')");
    let zones = zones.as_str().unwrap();
    assert!(
        zones.contains("America/New_York") && zones.contains("Z"),
        "deadlines in the policy's zone and UTC: {zones}"
    );
    assert_no_injection(&mut browser, "case");

    // The products, a product's releases, and from there a release.
    browser.go("/products");
    browser.wait_for(
        "the product list",
        "document.querySelector('main table')?.textContent.includes('Pump <img')",
    );
    browser.eval("document.querySelector('main table a').click(); true");
    browser.wait_for(
        "the product's releases",
        "document.querySelector('main table')?.textContent.includes('1.1.0')",
    );
    assert_no_injection(&mut browser, "product");
    browser.eval("document.querySelector('main table a').click(); true");
    browser.wait_for(
        "the newest release",
        &format!("location.hash === '#/releases/{newest}'"),
    );

    // A release: quality, components (search), diff.
    browser.go(&format!("/releases/{newest}"));
    browser.wait_for(
        "the component table",
        "document.querySelector('main').textContent.includes('Components 1–4 of 4')",
    );
    assert!(browser.text().contains("NTIA"), "the quality table");
    let release_findings = browser.wait_for(
        "the release's findings",
        "document.getElementById('release-findings')?.getAttribute('href') ?? ''",
    );
    assert!(
        release_findings.as_str().unwrap().contains("release=1.1.0"),
        "{release_findings}"
    );
    fill_and_submit(
        &mut browser,
        "form[role=search]",
        &[("#component-search", "bold")],
    );
    browser.wait_for(
        "the search result",
        "document.querySelector('main').textContent.includes('Components 1–1 of 1')",
    );
    assert!(browser.text().contains(HOSTILE_COMPONENT));
    let address_bar = browser.eval("location.hash");
    assert_eq!(
        address_bar,
        json!(format!("#/releases/{newest}?search=bold"))
    );
    browser.eval(
        "const s = document.getElementById('diff-from'); s.value = s.options[1].value; s.form.requestSubmit(); true",
    );
    browser.wait_for(
        "the diff",
        "document.querySelector('main').textContent.includes('From 1.0.0 to 1.1.0: 0 added, 0 removed')",
    );
    assert_no_injection(&mut browser, "release");

    // Findings: from the release page's link, filtered by the form (kept in the address).
    browser.eval("document.getElementById('release-findings').click(); true");
    browser.wait_for(
        "the release's findings",
        "/^Findings 1–\\d+ of \\d+$/.test(document.getElementById('finding-count')?.textContent ?? '')",
    );
    let list = browser.text();
    assert!(list.contains(LODASH_VULNERABILITY), "{list}");
    assert!(list.contains(HOSTILE_PRODUCT), "{list}");
    assert!(list.contains("lodash 4.17.19"), "{list}");
    assert!(list.contains("not assessed"), "{list}");
    assert_no_injection(&mut browser, "findings");
    browser.eval("document.getElementById('finding-severity-high').checked = true; true");
    fill_and_submit(
        &mut browser,
        "form.filters",
        &[("#finding-search", LODASH_VULNERABILITY)],
    );
    browser.wait_for(
        "the filtered list",
        "document.getElementById('finding-count')?.textContent === 'Findings 1–1 of 1'",
    );
    let announced = browser.eval("document.getElementById('status').textContent");
    assert_eq!(announced, json!("1 finding matches."));
    let address_bar = browser.eval("location.hash");
    let address_bar = address_bar.as_str().unwrap();
    for part in [
        "release=1.1.0",
        "severity=high",
        &format!("search={LODASH_VULNERABILITY}"),
    ] {
        assert!(address_bar.contains(part), "{part} in {address_bar}");
    }
    let aliases = browser.eval("document.querySelector('main table a.id').title");
    assert!(
        aliases.as_str().unwrap().contains("GHSA-"),
        "the aliases on hover: {aliases}"
    );

    // One finding: why it matched, severity, signals, no assessment yet.
    browser.eval("document.querySelector('main table a.id').click(); true");
    browser.wait_for(
        "the finding",
        &format!(
            "document.querySelector('h1')?.textContent === '{LODASH_VULNERABILITY} in lodash 4.17.19'"
        ),
    );
    let detail = browser.text();
    for part in [
        "What matched and why",
        "GHSA-",
        "Exploitability",
        "Not assessed yet.",
        "4.17.21",
        HOSTILE_PRODUCT,
    ] {
        assert!(detail.contains(part), "{part}: {detail}");
    }
    assert_no_injection(&mut browser, "finding");

    // The form offers the server's vocabulary (GET /api/v1/vocabulary), fetched once.
    let offered = browser.eval(
        "(() => { const options = (id) => [...document.getElementById(id).options].map((o) => [o.value, o.textContent]); \
         return { status: options('assess-status'), justification: options('assess-justification'), \
         scope: options('assess-scope'), harm: options('assess-harm'), meaning: options('assess-meaning'), \
         override: options('assess-override'), \
         responses: [...document.querySelectorAll('input[id^=assess-response-]')].map((c) => c.value), \
         fetches: performance.getEntriesByType('resource').filter((e) => e.name.includes('/api/v1/vocabulary')).length }; })()",
    );
    assert_eq!(
        offered,
        served_choices(),
        "the assessment form offers the served vocabulary"
    );

    // An incomplete not_affected is refused; the message names the field, which gets focus.
    browser.eval(
        "{ const status = document.getElementById('assess-status'); status.value = 'not_affected'; status.dispatchEvent(new Event('change')); } true",
    );
    let hidden =
        browser.eval("document.getElementById('assess-justification').closest('.field').hidden");
    assert_eq!(
        hidden,
        json!(false),
        "the justification shows for not_affected"
    );
    browser.eval("document.querySelector('form.assess-form').requestSubmit(); true");
    browser.wait_for(
        "the refusal next to the form",
        "document.querySelector('#assess-feedback .alert-error')?.textContent.includes('justification')",
    );
    let focused = browser.eval("document.activeElement?.id");
    assert_eq!(focused, json!("assess-justification"));

    // A complete one is recorded and shown.
    browser
        .eval("document.getElementById('assess-justification').value = 'code_not_reachable'; true");
    fill_and_submit(
        &mut browser,
        "form.assess-form",
        &[
            ("#assess-impact", HOSTILE_IMPACT),
            ("#assess-assignee", "Ada"),
        ],
    );
    browser.wait_for(
        "the saved assessment",
        "document.querySelector('main .alert-ok')?.textContent.startsWith('Assessment saved: not affected')",
    );
    let assessed = browser
        .eval("document.querySelector('section[aria-labelledby=finding-assessment]').textContent");
    let assessed = assessed.as_str().unwrap();
    for part in [
        "not affected",
        "code not reachable",
        HOSTILE_IMPACT,
        "this finding",
    ] {
        assert!(assessed.contains(part), "{part}: {assessed}");
    }
    let history = browser
        .eval("document.querySelector('section[aria-labelledby=finding-history]').textContent");
    assert!(
        history.as_str().unwrap().contains("assessed"),
        "the history records it: {history}"
    );
    assert_no_injection(&mut browser, "assessed finding");

    // A determination is signed (21 CFR Part 11): the form shows the manifestation; a wrong
    // password is refused and the password field gets focus; the right one signs.
    browser.eval(
        "{ const harm = document.getElementById('assess-harm'); harm.value = 'negligible'; harm.dispatchEvent(new Event('change')); } true",
    );
    let manifestation = browser.eval("document.getElementById('assess-manifestation').textContent");
    let manifestation = manifestation.as_str().unwrap();
    assert!(
        manifestation.starts_with("Signed by Ada Admin on ")
            && manifestation.ends_with("(UTC) — authorship"),
        "{manifestation}"
    );
    fill_and_submit(
        &mut browser,
        "form.assess-form",
        &[
            ("#assess-login", "admin"),
            ("#assess-password", "not the password"),
        ],
    );
    browser.wait_for(
        "the refused signature",
        "document.querySelector('#assess-feedback .alert-error')?.textContent.includes('wrong password')",
    );
    let focused = browser.eval("[document.activeElement?.id, document.activeElement?.value]");
    assert_eq!(focused, json!(["assess-password", ""]));
    fill_and_submit(
        &mut browser,
        "form.assess-form",
        &[("#assess-password", "correct horse battery")],
    );
    browser.wait_for(
        "the signed determination",
        "document.querySelector('main .alert-ok')?.textContent.includes('signed')",
    );
    let determination = browser.eval(
        "document.querySelector('section[aria-labelledby=finding-determination]').textContent",
    );
    let determination = determination.as_str().unwrap();
    for part in [
        "controlled",
        "as computed by the policy",
        "negligible",
        // The manifestation of 21 CFR 11.50: printed name, date and time, meaning.
        "Signed by ",
        "(UTC) — ",
    ] {
        assert!(determination.contains(part), "{part}: {determination}");
    }

    // The medical-device rubric as a questionnaire: the rubric's worked example (an insulin
    // pump over Bluetooth LE; hand-checked against its decision flow) gives
    // CVSS:3.0/AV:A/AC:L/PR:N/UI:N/S:U/C:L/I:H/A:H, 8.3, written into the device vector.
    browser.eval("document.getElementById('assess-rubric').open = true; true");
    browser.wait_for(
        "the rubric's first question",
        "document.getElementById('rubric-XAVN') !== null",
    );
    let answered = browser.eval(
        "(() => { for (const [id, code] of [['XAVN','Y'],['XAVT','N'],['XAVW','Y'],['XAVR','N'],\
         ['XACL','Y'],['XPRL','N'],['XUI','N'],['XS','N'],['XCP','N'],['XCD','N'],['XCT','L'],\
         ['XCW','N'],['XCS','N'],['XCO','N'],['XIP','N'],['XID','N'],['XIT','H'],['XIW','N'],\
         ['XIS','N'],['XIO','N'],['XAP','N'],['XAD','N'],['XAT','H'],['XAW','N'],['XAS','N'],\
         ['XAO','N']]) { const el = document.getElementById('rubric-' + id); \
         if (!el) return 'no question ' + id; el.value = code; \
         el.dispatchEvent(new Event('change')); } \
         document.getElementById('rubric-score').click(); return 'answered'; })()",
    );
    assert_eq!(answered, json!("answered"));
    browser.wait_for(
        "the rubric's score",
        "document.getElementById('rubric-result')?.textContent.includes('8.3')",
    );
    assert_eq!(
        browser.eval("document.getElementById('assess-cvss').value"),
        json!("CVSS:3.0/AV:A/AC:L/PR:N/UI:N/S:U/C:L/I:H/A:H")
    );

    // The list filtered by assessment finds it.
    browser.go(&format!(
        "/findings?assessment=not_affected&vulnerability={LODASH_VULNERABILITY}"
    ));
    browser.wait_for(
        "the assessed findings",
        "document.getElementById('finding-count')?.textContent === 'Findings 1–1 of 1'",
    );
    assert!(browser.text().contains("not affected"));

    // Several at once: the other release's lodash finding, selected in the table.
    browser.go(&format!(
        "/findings?assessment=unassessed&vulnerability={LODASH_VULNERABILITY}"
    ));
    browser.wait_for(
        "the unassessed lodash finding",
        "document.getElementById('finding-count')?.textContent === 'Findings 1–1 of 1'",
    );
    browser.eval(
        "document.querySelector('input[name=finding]').checked = true; \
         document.getElementById('bulk-status').value = 'under_investigation'; \
         document.querySelector('section[aria-labelledby=bulk-title] form').requestSubmit(); true",
    );
    browser.wait_for(
        "the bulk assessment",
        "document.querySelector('main .alert-ok')?.textContent === '1 finding assessed as under investigation.'",
    );
    browser.wait_for(
        "no unassessed lodash finding left",
        "document.querySelector('main')?.textContent.includes('No finding matches these filters.')",
    );

    // Clocks with a filter, the policy, the audit trail and its chain check.
    browser.go("/clocks?state=missed");
    browser.wait_for(
        "the missed clocks",
        "document.querySelector('main').textContent.includes('soonest deadline first')",
    );
    assert!(browser.text().contains("missed, not yet done"));
    browser.go("/policy");
    browser.wait_for(
        "the policy",
        "document.querySelector('main').textContent.includes('America/New_York')",
    );
    // Each revision says whether it is signed (init's built-in revision is not).
    assert!(browser.text().contains("not signed"), "{}", browser.text());
    browser.go("/audit");
    browser.wait_for(
        "the audit events",
        "document.querySelector('main').textContent.includes('release.create')",
    );
    browser.eval("document.getElementById('verify-chain').click(); true");
    browser.wait_for(
        "the chain check",
        "document.querySelector('main .alert-ok')?.textContent.includes('intact')",
    );

    // Accounts: create one through the form.
    browser.go("/accounts");
    browser.wait_for(
        "the account list",
        "document.querySelector('main table') !== null",
    );
    browser.eval("document.getElementById('role-viewer').checked = true; true");
    fill_and_submit(
        &mut browser,
        "form.stacked",
        &[
            ("input[name=login]", "vera"),
            ("input[name=display_name]", "Vera <Viewer>"),
            ("input[name=password]", "vera-password-1"),
        ],
    );
    browser.wait_for(
        "the new account in the list",
        "document.querySelector('main table').textContent.includes('Vera <Viewer>')",
    );
    browser.eval("document.querySelector('button[aria-label=\"Disable vera\"]').click(); true");
    browser.wait_for(
        "vera disabled",
        "document.querySelector('button[aria-label=\"Enable vera\"]') !== null",
    );

    // Logging out shows the login form; the session is gone.
    browser.eval("[...document.querySelectorAll('#who button')].find((b) => b.textContent === 'Log out').click(); true");
    browser.wait_for(
        "the login form again",
        "document.querySelector('main').textContent.includes('You are logged out')",
    );
    let me = browser.eval("fetch('/api/v1/auth/me').then((r) => r.status)");
    assert_eq!(me, json!(401));

    let problems = std::mem::take(&mut browser.problems);
    // One more round trip collects the events still in flight.
    browser.eval("true");
    let problems: Vec<String> = problems
        .into_iter()
        .chain(browser.problems.drain(..))
        .collect();
    assert!(
        problems.is_empty(),
        "script errors or policy violations: {problems:#?}"
    );
    drop(browser);
    let _ = stop.send(());
    runtime.block_on(server).unwrap().unwrap();
}

/// A CycloneDX 1.5 document of the pump with lodash at a version.
fn lodash_sbom(version: &str, lodash: &str) -> Vec<u8> {
    json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": format!("urn:uuid:00000000-0000-4000-8000-{:0>12}", version.replace('.', "")),
        "version": 1,
        "metadata": {
            "timestamp": "2025-01-15T09:00:00Z",
            "authors": [{"name": "Browser test"}],
            "component": {"type": "firmware", "name": "pump", "version": version, "bom-ref": "pump"}
        },
        "components": [
            {"type": "library", "bom-ref": "lodash", "name": "lodash", "version": lodash,
             "purl": format!("pkg:npm/lodash@{lodash}")}
        ],
        "dependencies": [{"ref": "pump", "dependsOn": ["lodash"]}]
    })
    .to_string()
    .into_bytes()
}

/// A workspace (on the given store) with the whole patch chain of a product with a hostile
/// name: lodash 4.17.19 in release 1.0.0 (CVE-2021-23337), a signed uncontrolled
/// determination, a plan, the patch release 1.0.1 with lodash 4.17.21 and its evidence, the
/// approval and a distribution today. Answers the plan's id and the patch release's.
async fn patch_workspace(
    test: aftercare_store::testing::TestStore,
) -> (aftercare_store::testing::TestStore, Workspace, i64, i64) {
    use aftercare_service::access::signature::SignRequest;
    use aftercare_service::patch::{plan, release};
    let workspace = Workspace::from_store(
        test.store.clone(),
        WorkspaceLocation::Database(test.url.clone()),
    );
    let admin = aftercare_service::flow::init(
        &workspace,
        "admin",
        "Ada Admin",
        &Password::new("correct horse battery"),
        jiff::Timestamp::now(),
    )
    .await
    .unwrap();
    let context = Context::new(account::actor_of(&admin), jiff::Timestamp::now());
    let principal = Principal::local(&admin).unwrap();
    feed::add(
        &workspace,
        &context,
        &principal,
        &NewFeedRequest {
            name: "ghsa".into(),
            kind: FeedKind::Osv,
            url: None,
            path: Some(
                aftercare_testdata::path("osv/GHSA-and-fixtures.zip")
                    .display()
                    .to_string(),
            ),
            ecosystem: None,
        },
    )
    .await
    .unwrap();
    aftercare_service::flow::sync(
        &workspace,
        &context,
        &principal,
        "ghsa",
        &SyncOptions::default(),
        &NoProgress,
    )
    .await
    .unwrap();
    inventory::add_product(&workspace, &context, HOSTILE_PRODUCT, None)
        .await
        .unwrap();
    let fielded = aftercare_service::flow::import_release(
        &workspace,
        &context,
        HOSTILE_PRODUCT,
        "1.0.0",
        Some(&SbomFile {
            name: "pump-1.0.0.cdx.json".into(),
            bytes: lodash_sbom("1.0.0", "4.17.19"),
        }),
    )
    .await
    .unwrap();
    let finding = fielded.matched.unwrap().opened[0];
    let sign = |meaning: &str| SignRequest {
        login: Some("admin".into()),
        password: Password::new("correct horse battery"),
        meaning: meaning.parse().unwrap(),
        reason: None,
    };
    aftercare_service::triage::assessment::assess(
        &workspace,
        &context,
        &principal,
        &[finding],
        &aftercare_service::triage::assessment::AssessmentInput {
            status: "affected".into(),
            responses: vec!["update".into()],
            action_statement: Some("Install 1.0.1".into()),
            harm: Some("serious".into()),
            override_risk: Some("uncontrolled".into()),
            override_rationale: Some(HOSTILE_IMPACT.into()),
            ..Default::default()
        },
        Some(&sign("authorship")),
        jiff::Timestamp::now(),
    )
    .await
    .unwrap();
    let created = plan::create(
        &workspace,
        &context,
        &principal,
        &plan::NewPlan {
            product: HOSTILE_PRODUCT.into(),
            vulnerabilities: vec![LODASH_VULNERABILITY.into()],
            target_version: "1.0.1".into(),
            cycle: "out_of_cycle".into(),
            owner: "admin".into(),
            change_requests: vec![HOSTILE_REFERENCE.parse().unwrap()],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let patch = aftercare_service::flow::import_patch_release(
        &workspace,
        &context,
        &principal,
        HOSTILE_PRODUCT,
        "1.0.1",
        Some(&SbomFile {
            name: "pump-1.0.1.cdx.json".into(),
            bytes: lodash_sbom("1.0.1", "4.17.21"),
        }),
        &[created.row.id],
    )
    .await
    .unwrap();
    let day = |text: &str| text.parse::<jiff::civil::Date>().unwrap();
    for (kind, title) in [
        ("impact_assessment", "Impact of lodash 4.17.21"),
        ("verification", HOSTILE_COMPONENT),
        ("validation", "Clinical workflow validation"),
        ("regression", "Full regression"),
    ] {
        release::add_evidence(
            &workspace,
            &context,
            &principal,
            HOSTILE_PRODUCT,
            "1.0.1",
            &release::NewEvidence {
                kind: kind.into(),
                title: title.into(),
                result: "pass".into(),
                executed_by: vec!["tom".into()],
                executed_on: day("2025-06-02"),
                files: vec![release::EvidenceUpload {
                    name: format!("{kind} <b>report</b>.txt"),
                    bytes: format!("{kind}: passed").into_bytes(),
                }],
                impact: (kind == "impact_assessment").then(|| aftercare_patch::ImpactAnswers {
                    safety_and_essential_performance_affected: false,
                    verification_rerun: vec!["VP-12".into()],
                    regulatory_path: aftercare_patch::RegulatoryPath::LetterToFile,
                    clearance: None,
                    rationale: "A library update in the report generator only.".into(),
                }),
                supersedes: None,
            },
        )
        .await
        .unwrap();
    }
    release::approve(
        &workspace,
        &context,
        &principal,
        HOSTILE_PRODUCT,
        "1.0.1",
        &sign("approval"),
    )
    .await
    .unwrap();
    let today = jiff::Timestamp::now()
        .in_tz("America/New_York")
        .unwrap()
        .date();
    // Its own instant: the case's events are in order.
    let now = Context::new(account::actor_of(&admin), jiff::Timestamp::now());
    aftercare_service::flow::distribute(
        &workspace,
        &now,
        &principal,
        HOSTILE_PRODUCT,
        "1.0.1",
        &release::NewDistribution {
            channel: "field_service".into(),
            on: today,
            organisation: Some("General <Hospital>".into()),
            evidence: None,
        },
    )
    .await
    .unwrap();
    (
        test,
        workspace,
        patch.patch.plans[0].id,
        patch.imported.import.release.id,
    )
}

/// axe-core's script (`AFTERCARE_AXE_CORE`, which `.ci/run` installs and sets), if any.
fn axe_source() -> Option<String> {
    let path = std::env::var_os("AFTERCARE_AXE_CORE")?;
    Some(
        std::fs::read_to_string(&path).unwrap_or_else(|error| {
            panic!("AFTERCARE_AXE_CORE={}: {error}", path.to_string_lossy())
        }),
    )
}

/// Runs axe-core (WCAG 2.1 A and AA rules) on the page and fails on any violation.
fn assert_accessible(browser: &mut Browser, axe: Option<&str>, page: &str) {
    let Some(source) = axe else { return };
    if browser.eval("typeof window.axe === 'object'") != json!(true) {
        browser.eval(&format!("{source}\n;true"));
    }
    let violations = browser.eval(
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}}) \
         .then((r) => r.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help, \
         nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ') + ': ' + n.failureSummary)})))",
    );
    assert_eq!(violations, json!([]), "{page}: axe-core finds violations");
}

#[test]
fn a_browser_shows_plans_a_patch_and_its_chain_accessibly() {
    let Some(executable) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install Chromium (.ci/run) for the browser test"
        );
        eprintln!("browser test skipped: no chromium on PATH (set AFTERCARE_CHROMIUM)");
        return;
    };
    let axe = axe_source();
    if axe.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install axe-core (.ci/run) and set AFTERCARE_AXE_CORE"
        );
        eprintln!("accessibility checks skipped: set AFTERCARE_AXE_CORE to axe.min.js");
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (_test, workspace, plan, _) =
        runtime.block_on(async { patch_workspace(aftercare_store::testing::sqlite().await).await });
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let address = listener.local_addr().unwrap();
    let router = aftercare_server::router(AppState::new(workspace, Settings::default()));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = runtime.spawn(aftercare_server::serve(router, listener, async {
        let _ = stopped.await;
    }));
    let base = format!("http://{address}");

    let mut browser = Browser::launch(&executable);
    browser.command("Page.navigate", json!({"url": format!("{base}/")}));
    browser.wait_for(
        "the login form",
        "document.querySelector('input[name=login]') !== null",
    );
    fill_and_submit(
        &mut browser,
        "form.login-form",
        &[
            ("input[name=login]", "admin"),
            ("input[name=password]", "correct horse battery"),
        ],
    );
    browser.wait_for(
        "the caller's name",
        "document.getElementById('who').textContent.includes('Ada Admin')",
    );

    // The plans, from the navigation.
    browser.eval("[...document.querySelectorAll('#nav-list a')].find((a) => a.textContent === 'Plans').click(); true");
    browser.wait_for(
        "the plan list",
        "document.getElementById('plan-count')?.textContent === '1 plan, newest first.'",
    );
    assert!(browser.text().contains("distributed"), "{}", browser.text());
    assert_no_injection(&mut browser, "plans");
    assert_accessible(&mut browser, axe.as_deref(), "plans");
    browser.eval("document.querySelector('main table a.id').click(); true");
    browser.wait_for(
        "the plan",
        &format!("document.querySelector('h1')?.textContent.startsWith('Plan {plan}: ')"),
    );
    let page = browser.text();
    for part in [
        "out of cycle required",
        "the determination is uncontrolled",
        HOSTILE_REFERENCE,
        "lodash 4.17.19",
        "1.0.1",
        "patch built → approved",
    ] {
        assert!(page.contains(part), "{part}: {page}");
    }
    assert_no_injection(&mut browser, "plan");
    assert_accessible(&mut browser, axe.as_deref(), "plan");

    // The patch release: gate, fix evidence, evidence with download links, signatures.
    browser.eval("document.querySelector('section[aria-labelledby=plan-patches] a').click(); true");
    browser.wait_for(
        "the patch release",
        "document.querySelector('h1')?.textContent.startsWith('Patch release Pump <img')",
    );
    browser.wait_for(
        "the gate's verdict",
        "document.getElementById('gate-verdict')?.textContent.includes('may be distributed')",
    );
    let page = browser.text();
    for part in [
        "upgraded from 4.17.19 to 4.17.21",
        "approved, still matching",
        "Signed by Ada Admin on ",
        "General <Hospital>",
        HOSTILE_COMPONENT,
    ] {
        assert!(page.contains(part), "{part}: {page}");
    }
    // Files are downloads, never rendered: each link points at the API and says so.
    let links = browser.eval(
        "[...document.querySelectorAll('a.download')].map((a) => [a.getAttribute('href'), a.hasAttribute('download')])",
    );
    let links = links.as_array().unwrap();
    assert_eq!(links.len(), 4, "{links:?}");
    for link in links {
        assert!(
            link[0].as_str().unwrap().starts_with("/api/v1/evidence/") && link[1] == json!(true),
            "{link}"
        );
    }
    let download = browser.eval(&format!(
        "fetch({}).then((r) => [r.headers.get('content-type'), r.headers.get('content-disposition').split(';')[0]])",
        links[0][0]
    ));
    assert_eq!(download, json!(["application/octet-stream", "attachment"]));
    assert_no_injection(&mut browser, "patch");
    assert_accessible(&mut browser, axe.as_deref(), "patch");

    // New evidence through the form, with a file read by the browser: the approval no
    // longer matches.
    let upload = tempfile::tempdir().unwrap();
    let file = upload.path().join("security scan.txt");
    std::fs::write(&file, b"no finding \x00\xff").unwrap();
    let node = browser.command(
        "Runtime.evaluate",
        json!({"expression": "document.getElementById('evidence-files')"}),
    );
    browser.command(
        "DOM.setFileInputFiles",
        json!({"files": [file.display().to_string()], "objectId": node["result"]["objectId"]}),
    );
    browser.eval("{ const k = document.getElementById('evidence-kind'); k.value = 'security_test'; k.dispatchEvent(new Event('change')); } true");
    fill_and_submit(
        &mut browser,
        "section[aria-labelledby=evidence-form-title] form",
        &[
            ("#evidence-title", "Fuzzing campaign"),
            ("#evidence-executed-by", "tom"),
            ("#evidence-executed-on", "2025-06-03"),
        ],
    );
    browser.wait_for(
        "the recorded evidence",
        "document.querySelector('main .alert-ok')?.textContent.includes('with 1 file')",
    );
    let page = browser.text();
    assert!(page.contains("security scan.txt"), "{page}");
    assert!(
        page.contains("approval no longer matches: sign again"),
        "{page}"
    );
    let digest = browser.eval(
        "[...document.querySelectorAll('a.download')].find((a) => a.textContent === 'security scan.txt').nextElementSibling.title",
    );
    assert_eq!(
        digest,
        json!(format!(
            "SHA-256 {}",
            aftercare_model::Sha256::of(b"no finding \x00\xff").to_hex()
        ))
    );

    // The chain per vulnerability, with the clock met by the distribution.
    browser.eval("document.getElementById('chain-link').click(); true");
    browser.wait_for(
        "the chain",
        &format!("document.querySelector('main h2')?.textContent === '{LODASH_VULNERABILITY}'"),
    );
    let steps = browser.eval(
        "[...document.querySelectorAll('main .chain tbody tr')].map((r) => [r.cells[0].textContent, r.cells[1].textContent, r.cells[4].textContent])",
    );
    let steps = steps.as_array().unwrap();
    assert_eq!(steps.len(), 10, "{steps:?}");
    assert_eq!(steps[0], json!(["Finding", "done", "within the deadline"]));
    assert_eq!(
        steps[9],
        json!(["Distribution", "done", "clock met"]),
        "{steps:?}"
    );
    assert_eq!(
        steps[8][1],
        json!("gap"),
        "the approval no longer matches: {steps:?}"
    );
    assert_no_injection(&mut browser, "chain");
    assert_accessible(&mut browser, axe.as_deref(), "chain");

    // Signed again through the approval dialog: a wrong password is refused and nothing
    // changes; the right one makes the approval match.
    browser.eval("document.querySelector('.breadcrumb a:last-of-type').click(); true");
    browser.wait_for(
        "the patch page again",
        "document.getElementById('approve-manifestation')?.textContent.startsWith('Signed by Ada Admin on ')",
    );
    let manifestation =
        browser.eval("document.getElementById('approve-manifestation').textContent");
    assert!(
        manifestation
            .as_str()
            .unwrap()
            .ends_with("(UTC) — approval"),
        "{manifestation}"
    );
    fill_and_submit(
        &mut browser,
        "section[aria-labelledby=approve-title] form",
        &[
            ("#approve-login", "admin"),
            ("#approve-password", "not the password"),
        ],
    );
    browser.wait_for(
        "the refused signature",
        "document.querySelector('#approve-feedback .alert-error')?.textContent.includes('signature_refused')",
    );
    assert_eq!(
        browser.eval("document.getElementById('approve-password').value"),
        json!(""),
        "the password is not kept"
    );
    fill_and_submit(
        &mut browser,
        "section[aria-labelledby=approve-title] form",
        &[("#approve-password", "correct horse battery")],
    );
    browser.wait_for(
        "the new approval",
        "document.querySelector('main .alert-ok')?.textContent === 'Patch 1.0.1 approved and signed.'",
    );
    assert!(browser.text().contains("approved, still matching"));

    // A plan from findings selected in the list, through the plan form; then cancelled with
    // a reason.
    browser.go(&format!(
        "/findings?state=all&vulnerability={LODASH_VULNERABILITY}"
    ));
    browser.wait_for(
        "the selectable findings",
        "document.querySelector('input[name=finding]') !== null",
    );
    browser.eval("document.querySelector('input[name=finding]').checked = true; document.getElementById('plan-from-selection').click(); true");
    browser.wait_for(
        "the plan form",
        "document.getElementById('new-plan-findings')?.value.length > 0",
    );
    assert_accessible(&mut browser, axe.as_deref(), "new plan");
    fill_and_submit(
        &mut browser,
        "section[aria-labelledby=new-plan-title] form",
        &[
            ("#new-plan-target", "1.0.2"),
            ("#new-plan-change-requests", "CR-9 /qms/CR-9"),
        ],
    );
    browser.wait_for(
        "the new plan",
        "document.querySelector('main .alert-ok')?.textContent.endsWith('created for 1 finding.')",
    );
    assert!(browser.text().contains("CR-9"), "{}", browser.text());
    fill_and_submit(
        &mut browser,
        "form[aria-label='Cancel the plan']",
        &[("#plan-cancel-reason", "short")],
    );
    browser.wait_for(
        "the refused cancellation",
        "document.querySelector('#plan-feedback .alert-error') !== null",
    );
    fill_and_submit(
        &mut browser,
        "form[aria-label='Cancel the plan']",
        &[(
            "#plan-cancel-reason",
            "Superseded by plan 1, which already ships the fix",
        )],
    );
    browser.wait_for(
        "the cancelled plan",
        "document.querySelector('main .alert-ok')?.textContent.endsWith('cancelled.')",
    );
    assert!(browser.text().contains("Superseded by plan 1"));

    // The finding names its plan and patch.
    browser.go("/findings?state=all");
    browser.wait_for(
        "the findings",
        "document.querySelector('main table a.id') !== null",
    );
    browser.eval("document.querySelector('main table a.id').click(); true");
    browser.wait_for(
        "the finding's remediation",
        "document.querySelector('section[aria-labelledby=finding-remediation] a')?.textContent.startsWith('Plan ')",
    );
    let remediation = browser
        .eval("document.querySelector('section[aria-labelledby=finding-remediation]').textContent");
    assert!(
        remediation.as_str().unwrap().contains("1.0.1"),
        "{remediation}"
    );

    let problems = std::mem::take(&mut browser.problems);
    browser.eval("true");
    let problems: Vec<String> = problems
        .into_iter()
        .chain(browser.problems.drain(..))
        .collect();
    assert!(
        problems.is_empty(),
        "script errors or policy violations: {problems:#?}"
    );
    drop(browser);
    let _ = stop.send(());
    runtime.block_on(server).unwrap().unwrap();
}

/// A serial number, a tag (no blanks), a site, an organisation and a rollout name that would
/// run script or become markup if a page put them into HTML.
const HOSTILE_SERIAL: &str = "SN <img src=x onerror=\"window.__xss='serial'\">";
const HOSTILE_TAG: &str = "<img/src=x/onerror=window.__xss='tag'>";
const HOSTILE_SITE: &str = "ICU <b>3</b>";
const HOSTILE_ORGANISATION: &str = "St <i>Mary</i>";
const HOSTILE_ROLLOUT: &str = "lodash <b>fix</b>";

/// The patch workspace on a store, with a directory for artifacts, a release 1.0.2 that is no
/// approved patch, an organisation and a site with hostile names, and four pumps on 1.0.0 that SWUpdate updates, all tagged `icu` (one
/// with a hostile serial and tag). Answers the patch release's id and each pump's
/// `(controller id, token)`.
async fn device_workspace(
    test: aftercare_store::testing::TestStore,
    artifacts: &std::path::Path,
) -> (
    aftercare_store::testing::TestStore,
    Workspace,
    i64,
    Vec<(String, String)>,
) {
    use aftercare_service::device::{self, NewDeviceRequest};
    let (test, workspace, _, patch) = patch_workspace(test).await;
    let workspace = workspace.with_artifact_dir(Some(artifacts.to_path_buf()));
    let admin = aftercare_store::account::local_admin(workspace.raw_store().pool())
        .await
        .unwrap()
        .unwrap();
    let context = Context::new(account::actor_of(&admin), jiff::Timestamp::now());
    let principal = Principal::local(&admin).unwrap();
    // A newer release that no one approved: the gate refuses to roll it out.
    aftercare_service::flow::import_release(&workspace, &context, HOSTILE_PRODUCT, "1.0.2", None)
        .await
        .unwrap();
    device::add_organisation(&workspace, &context, &principal, HOSTILE_ORGANISATION, None)
        .await
        .unwrap();
    device::add_site(
        &workspace,
        &context,
        &principal,
        HOSTILE_SITE,
        HOSTILE_ORGANISATION,
        Some("Europe/Berlin"),
    )
    .await
    .unwrap();
    let mut tokens = Vec::new();
    for n in 1..=4 {
        let id = format!("pump-0{n}");
        let hostile = n == 2;
        let registered = device::add(
            &workspace,
            &context,
            &principal,
            &NewDeviceRequest {
                controller_id: id.clone(),
                product: HOSTILE_PRODUCT.into(),
                serial: if hostile {
                    HOSTILE_SERIAL.into()
                } else {
                    format!("SN-{n}")
                },
                site: Some(HOSTILE_SITE.into()),
                tags: if hostile {
                    vec!["icu".into(), HOSTILE_TAG.into()]
                } else {
                    vec!["icu".into()]
                },
                release: Some("1.0.0".into()),
                client: Some("swupdate".into()),
                ..NewDeviceRequest::default()
            },
        )
        .await
        .unwrap();
        tokens.push((id, registered.token.expose().to_string()));
    }
    (test, workspace, patch, tokens)
}

/// What a device sends, as SWUpdate's suricatta would.
fn ddi_status(execution: &str, finished: &str, details: &[&str]) -> FeedbackBody {
    FeedbackBody {
        execution: execution.into(),
        finished: finished.into(),
        details: details.iter().map(|d| d.to_string()).collect(),
        code: None,
    }
}

/// A device polls with its token, fetches the deployment it is offered and sends these
/// statuses; then the server's rollout tick runs (as `serve` schedules it).
async fn device_reports(
    workspace: &Workspace,
    (id, token): &(String, String),
    statuses: &[FeedbackBody],
) {
    use aftercare_service::device::{self, DeviceToken};
    use aftercare_service::rollout::ddi::{self, PollLink};
    let context = Context::new(
        aftercare_model::Actor::system(&format!("device:{id}")),
        jiff::Timestamp::now(),
    );
    let device = device::authenticate(workspace, id, &DeviceToken::new(token.as_str()))
        .await
        .unwrap();
    if !statuses.is_empty() {
        let PollLink::Deployment { action_id, .. } =
            ddi::poll(workspace, &context, &device).await.unwrap().link
        else {
            panic!("{id} is offered nothing");
        };
        ddi::deployment(workspace, &context, &device, action_id)
            .await
            .unwrap();
        for status in statuses {
            ddi::feedback(workspace, &context, &device, action_id, false, status)
                .await
                .unwrap();
        }
    }
    aftercare_service::flow::rollout_tick(workspace, &context)
        .await
        .unwrap();
}

/// A device reports the version it runs (configData), beside the one recorded.
async fn device_reports_version(
    workspace: &Workspace,
    (id, token): &(String, String),
    version: &str,
) {
    use aftercare_service::device::{self, DeviceToken};
    use aftercare_service::rollout::ddi::{self, ConfigMode};
    let context = Context::new(
        aftercare_model::Actor::system(&format!("device:{id}")),
        jiff::Timestamp::now(),
    );
    let device = device::authenticate(workspace, id, &DeviceToken::new(token.as_str()))
        .await
        .unwrap();
    let data = [("swVersion".to_string(), version.to_string())].into();
    ddi::config_data(workspace, &context, &device, ConfigMode::Merge, &data)
        .await
        .unwrap();
}

/// Saves a picture of the whole page as `$AFTERCARE_UI_SCREENSHOTS/<name>.png`, when that
/// variable names a directory (to look at the pages; nothing is asserted of the picture).
fn screenshot(browser: &mut Browser, name: &str) {
    use base64::Engine;
    let Some(dir) = std::env::var_os("AFTERCARE_UI_SCREENSHOTS") else {
        return;
    };
    let shot = browser.command(
        "Page.captureScreenshot",
        json!({"format": "png", "captureBeyondViewport": true}),
    );
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(shot["data"].as_str().unwrap())
        .unwrap();
    std::fs::write(
        std::path::Path::new(&dir).join(format!("{name}.png")),
        bytes,
    )
    .unwrap();
}

fn log_in(browser: &mut Browser, base: &str) {
    browser.command("Page.navigate", json!({"url": format!("{base}/")}));
    browser.wait_for(
        "the login form",
        "document.querySelector('input[name=login]') !== null",
    );
    fill_and_submit(
        browser,
        "form.login-form",
        &[
            ("input[name=login]", "admin"),
            ("input[name=password]", "correct horse battery"),
        ],
    );
    browser.wait_for(
        "the caller's name",
        "document.getElementById('who').textContent.includes('Ada Admin')",
    );
}

/// Clicks the main navigation's entry with this label.
fn follow_nav(browser: &mut Browser, label: &str) {
    browser.eval(&format!(
        "[...document.querySelectorAll('#nav-list a')].find((a) => a.textContent === {}).click(); true",
        json!(label)
    ));
}

#[test]
fn a_browser_shows_devices_and_a_rollout_live_accessibly() {
    let Some(executable) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install Chromium (.ci/run) for the browser test"
        );
        eprintln!("browser test skipped: no chromium on PATH (set AFTERCARE_CHROMIUM)");
        return;
    };
    let axe = axe_source();
    if axe.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install axe-core (.ci/run) and set AFTERCARE_AXE_CORE"
        );
        eprintln!("accessibility checks skipped: set AFTERCARE_AXE_CORE to axe.min.js");
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for test in runtime.block_on(aftercare_store::testing::each_backend()) {
        devices_and_a_rollout(&runtime, &executable, axe.as_deref(), test);
    }
}

fn devices_and_a_rollout(
    runtime: &tokio::runtime::Runtime,
    executable: &str,
    axe: Option<&str>,
    test: aftercare_store::testing::TestStore,
) {
    let backend = test.backend().as_str().to_string();
    let artifacts = tempfile::tempdir().unwrap();
    let (_test, workspace, patch_release, mut pumps) =
        runtime.block_on(device_workspace(test, artifacts.path()));
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let address = listener.local_addr().unwrap();
    let router = aftercare_server::router(AppState::new(workspace.clone(), Settings::default()));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = runtime.spawn(aftercare_server::serve(router, listener, async {
        let _ = stopped.await;
    }));
    let base = format!("http://{address}");
    let mut browser = Browser::launch(executable);
    log_in(&mut browser, &base);

    // One pump reports a version other than the one recorded.
    runtime.block_on(device_reports_version(&workspace, &pumps[3], "0.9.9"));

    // The devices, from the navigation: hostile names stay text, the disagreement is marked.
    follow_nav(&mut browser, "Devices");
    browser.wait_for(
        "the device list",
        "document.getElementById('device-count')?.textContent === '4 devices, by controller id.'",
    );
    let page = browser.text();
    for part in [
        HOSTILE_SERIAL,
        HOSTILE_TAG,
        HOSTILE_SITE,
        HOSTILE_ORGANISATION,
        "1.0.0by hand",
        "0.9.9",
        "≠ disagrees",
        "registered",
    ] {
        assert!(page.contains(part), "{backend}: {part}: {page}");
    }
    assert_no_injection(&mut browser, "devices");
    assert_accessible(&mut browser, axe, "devices");
    screenshot(&mut browser, "devices");

    // Filtered by tag (kept in the address): only the pump with the hostile tag.
    fill_and_submit(
        &mut browser,
        "form.filters",
        &[("#device-tag", HOSTILE_TAG)],
    );
    browser.wait_for(
        "the filtered list",
        "document.getElementById('device-count')?.textContent === '1 device, by controller id.'",
    );
    assert!(
        browser
            .eval("location.hash")
            .as_str()
            .unwrap()
            .contains("tag=")
    );

    // A fifth pump registered through the form: the token is shown once, and works.
    browser.go("/devices/new");
    browser.wait_for(
        "the registration form",
        "document.getElementById('new-device-id') !== null",
    );
    browser.eval(&format!(
        "{{ const p = document.getElementById('new-device-product'); p.value = {}; p.dispatchEvent(new Event('change')); }} true",
        json!(HOSTILE_PRODUCT)
    ));
    browser.wait_for(
        "the product's releases",
        "[...document.getElementById('new-device-release').options].some((o) => o.value === '1.0.0')",
    );
    browser.eval(&format!(
        "document.getElementById('new-device-site').value = {}; document.getElementById('new-device-release').value = '1.0.0'; \
         document.getElementById('new-device-client').value = 'swupdate'; true",
        json!(HOSTILE_SITE)
    ));
    fill_and_submit(
        &mut browser,
        "section[aria-labelledby=new-device-title] form",
        &[
            ("#new-device-id", "pump-05"),
            ("#new-device-serial", "SN-5"),
            ("#new-device-tags", "icu, spare"),
        ],
    );
    let token = browser.wait_for(
        "the token, shown once",
        "document.getElementById('device-token')?.value ?? ''",
    );
    let token = token.as_str().unwrap().to_string();
    assert!(
        browser.text().contains("it is not shown again"),
        "{backend}: {}",
        browser.text()
    );
    assert_accessible(&mut browser, axe, "registered device");
    screenshot(&mut browser, "device-registered");
    pumps.push(("pump-05".into(), token));

    // The patch release's page: a file uploaded through the form, listed with its digest
    // and a download link.
    browser.go(&format!("/releases/{patch_release}"));
    browser.wait_for(
        "the artifact section",
        "document.getElementById('artifact-file') !== null && document.querySelector('section[aria-labelledby=artifacts-title] [aria-busy]') === null",
    );
    assert!(browser.text().contains("No file yet"), "{backend}");
    let upload = tempfile::tempdir().unwrap();
    let file = upload.path().join("pump-1.0.1.bin");
    std::fs::write(&file, b"firmware \x00\x01\x02").unwrap();
    let node = browser.command(
        "Runtime.evaluate",
        json!({"expression": "document.getElementById('artifact-file')"}),
    );
    browser.command(
        "DOM.setFileInputFiles",
        json!({"files": [file.display().to_string()], "objectId": node["result"]["objectId"]}),
    );
    browser
        .eval("document.getElementById('artifact-file').dispatchEvent(new Event('change')); true");
    browser.eval("document.querySelector('form[aria-label=\"Add a file to the release\"]').requestSubmit(); true");
    browser.wait_for(
        "the uploaded file",
        "document.querySelector('#artifact-feedback .alert-ok')?.textContent.startsWith('pump-1.0.1.bin added')",
    );
    browser.wait_for(
        "the file in the list",
        "document.querySelector('a.download') !== null",
    );
    let listed = browser.eval(
        "(() => { const a = document.querySelector('a.download'); return [a.textContent, a.getAttribute('href').replace(/artifacts\\/[0-9]+/, 'artifacts/N'), a.hasAttribute('download'), \
         a.closest('tr').querySelector('code.hash').title]; })()",
    );
    assert_eq!(
        listed,
        json!([
            "pump-1.0.1.bin",
            "/api/v1/artifacts/N/content",
            true,
            format!(
                "SHA-256 {}",
                aftercare_model::Sha256::of(b"firmware \x00\x01\x02").to_hex()
            )
        ]),
        "{backend}"
    );
    let download = browser.eval(
        "fetch(document.querySelector('a.download').getAttribute('href')).then(async (r) => [r.status, r.headers.get('content-type'), (await r.arrayBuffer()).byteLength])",
    );
    assert_eq!(
        download,
        json!([200, "application/octet-stream", 12]),
        "{backend}"
    );
    assert_no_injection(&mut browser, "release with artifacts");
    assert_accessible(&mut browser, axe, "release with artifacts");
    browser.eval("document.getElementById('artifacts-title').scrollIntoView(); true");
    screenshot(&mut browser, "release-artifacts");

    // The rollouts, from the navigation: none yet; the form, from the release page's link.
    follow_nav(&mut browser, "Rollouts");
    browser.wait_for(
        "the empty rollout list",
        "document.getElementById('rollout-count')?.textContent === '0 rollouts, newest first.'",
    );
    browser.go(&format!("/releases/{patch_release}"));
    browser.wait_for(
        "the link to roll out",
        "document.getElementById('roll-out-release') !== null",
    );
    browser.eval("document.getElementById('roll-out-release').click(); true");
    browser.wait_for(
        "the rollout form with the release chosen",
        "document.getElementById('new-rollout-version')?.value === '1.0.1'",
    );
    assert_accessible(&mut browser, axe, "new rollout");
    screenshot(&mut browser, "rollout-new");

    // A release the gate does not clear is refused, with the server's reason.
    browser.eval("document.getElementById('new-rollout-version').value = '1.0.2'; true");
    fill_and_submit(
        &mut browser,
        "section[aria-labelledby=new-rollout-title] form",
        &[
            ("#new-rollout-name", HOSTILE_ROLLOUT),
            ("#new-rollout-filter", "tag=icu"),
            ("#new-rollout-waves", "2,all"),
            ("#new-rollout-success", "100%"),
            ("#new-rollout-error", "40%"),
            ("#new-rollout-holds", "1"),
        ],
    );
    let refusal = browser.wait_for(
        "the gate's refusal",
        "document.querySelector('#new-rollout-feedback .alert-error')?.textContent ?? ''",
    );
    assert!(
        refusal
            .as_str()
            .unwrap()
            .contains("not a patch release the gate can clear"),
        "{backend}: {refusal}"
    );
    assert_eq!(
        browser.eval("document.activeElement?.id"),
        json!("new-rollout-feedback")
    );

    // The approved patch is accepted: the rollout's page, created, with its start button.
    browser.eval("document.getElementById('new-rollout-version').value = '1.0.1'; true");
    browser.eval("document.querySelector('section[aria-labelledby=new-rollout-title] form').requestSubmit(); true");
    browser.wait_for(
        "the created rollout",
        "document.querySelector('main .alert-ok')?.textContent.endsWith('start it when ready.')",
    );
    let buttons = "[...document.querySelectorAll('section[aria-labelledby=rollout-actions] button')].map((b) => b.textContent)";
    assert_eq!(
        browser.eval(buttons),
        json!(["Start the rollout", "Cancel the rollout"]),
        "{backend}"
    );
    assert_no_injection(&mut browser, "created rollout");
    assert_accessible(&mut browser, axe, "created rollout");

    // Started: two waves of five pumps (2, then the rest), the first one current.
    browser.eval("document.getElementById('rollout-start').click(); true");
    browser.wait_for(
        "the running rollout",
        "document.querySelector('main .alert-ok')?.textContent.endsWith('started.')",
    );
    let waves = "[...document.querySelectorAll('table.waves tbody tr')].map((r) => [r.cells[0].textContent, r.cells[1].textContent, r.cells[2].textContent])";
    assert_eq!(
        browser.eval(waves),
        json!([
            [
                "Wave 1 current",
                "2",
                "0 of 2 finishederror 0running 2skipped 0waiting 0"
            ],
            [
                "Wave 2",
                "3",
                "0 of 3 finishederror 0running 0skipped 0waiting 3"
            ]
        ]),
        "{backend}"
    );
    assert_eq!(
        browser.eval(buttons),
        json!(["Pause the rollout", "Cancel the rollout"]),
        "{backend}"
    );

    // Paused by a person with a reason, then resumed.
    fill_and_submit(
        &mut browser,
        "form[aria-label='Pause the rollout']",
        &[("#rollout-pause-reason-input", "The ward asks to wait")],
    );
    browser.wait_for(
        "the paused rollout",
        "document.querySelector('main .alert-ok')?.textContent.endsWith('paused.')",
    );
    let reason = browser.eval("document.getElementById('rollout-pause-reason').textContent");
    assert!(
        reason
            .as_str()
            .unwrap()
            .ends_with(": The ward asks to wait"),
        "{backend}: {reason}"
    );
    assert_eq!(
        browser.eval(buttons),
        json!(["Resume the rollout", "Cancel the rollout"]),
        "{backend}"
    );
    browser.eval("document.getElementById('rollout-resume').click(); true");
    browser.wait_for(
        "the resumed rollout",
        "document.querySelector('main .alert-ok')?.textContent.endsWith('resumed.')",
    );
    assert_eq!(
        browser.eval("document.getElementById('rollout-pause-reason')"),
        Value::Null,
        "{backend}: a running rollout shows no pause reason"
    );

    // The devices report; the page follows by itself, without a reload, and the keyboard
    // focus stays where it was.
    browser.eval("document.querySelector('section[aria-labelledby=rollout-waves] .table-wrap').focus(); true");
    runtime.block_on(async {
        device_reports(
            &workspace,
            &pumps[0],
            &[
                ddi_status(
                    "proceeding",
                    "none",
                    &["Installing Update Chunk Artifacts."],
                ),
                ddi_status("closed", "success", &["Update Installed."]),
            ],
        )
        .await;
        device_reports(
            &workspace,
            &pumps[1],
            &[ddi_status(
                "proceeding",
                "none",
                &["Installing Update Chunk Artifacts."],
            )],
        )
        .await;
    });
    browser.wait_for(
        "wave 1's counts, refreshed",
        "document.querySelector('table.waves tbody tr')?.cells[2].textContent === '1 of 2 finishederror 0running 1skipped 0waiting 0'",
    );
    assert_eq!(
        browser.eval("document.activeElement === document.querySelector('section[aria-labelledby=rollout-waves] .table-wrap')"),
        json!(true),
        "{backend}: the focus survives the refresh"
    );
    assert_accessible(&mut browser, axe, "running rollout");
    screenshot(&mut browser, "rollout-running");

    // Wave 1 done: its hold point waits for a signed go or no-go, which the page now asks
    // for by itself.
    runtime.block_on(device_reports(
        &workspace,
        &pumps[1],
        &[ddi_status("closed", "success", &["Update Installed."])],
    ));
    browser.wait_for(
        "the hold point's decision form",
        "document.getElementById('decide-submit') !== null",
    );
    assert_eq!(
        browser.eval(buttons),
        json!(["Sign the decision", "Cancel the rollout"]),
        "{backend}"
    );
    let manifestation = browser.eval("document.getElementById('decide-manifestation').textContent");
    assert!(
        manifestation
            .as_str()
            .unwrap()
            .starts_with("Signed by Ada Admin on ")
            && manifestation
                .as_str()
                .unwrap()
                .ends_with("(UTC) — approval"),
        "{backend}: {manifestation}"
    );
    assert_no_injection(&mut browser, "rollout at a hold point");
    assert_accessible(&mut browser, axe, "rollout at a hold point");
    screenshot(&mut browser, "rollout-hold-point");
    // No decision chosen: said so, nothing sent.
    fill_and_submit(
        &mut browser,
        "form[aria-labelledby=decide-title]",
        &[("#decide-login", "admin"), ("#decide-password", "x")],
    );
    browser.wait_for(
        "the missing decision",
        "document.querySelector('#rollout-feedback .alert-error')?.textContent.includes('choose go or no-go')",
    );
    assert_eq!(
        browser.eval("document.activeElement?.id"),
        json!("decide-go"),
        "{backend}"
    );
    // A wrong password: the server's refusal is shown, the password forgotten, nothing
    // recorded.
    browser.eval("document.getElementById('decide-go').checked = true; true");
    fill_and_submit(
        &mut browser,
        "form[aria-labelledby=decide-title]",
        &[("#decide-login", "admin"), ("#decide-password", "wrong")],
    );
    let refusal = browser.wait_for(
        "the refused signature",
        "document.querySelector('#rollout-feedback .alert-error')?.textContent.includes('wrong password') \
         && document.querySelector('#rollout-feedback .alert-error').textContent",
    );
    assert!(
        refusal.as_str().unwrap().contains("signature_refused"),
        "{backend}: {refusal}"
    );
    assert_eq!(
        browser
            .eval("[document.getElementById('decide-password').value, document.activeElement?.id]"),
        json!(["", "rollout-feedback"]),
        "{backend}"
    );
    let state = runtime.block_on(aftercare_store::rollout::rollout(
        workspace.raw_store().pool(),
        HOSTILE_ROLLOUT,
    ));
    assert_eq!(
        state.unwrap().unwrap().state,
        "awaiting_decision",
        "{backend}: a refused signature decides nothing"
    );
    // Go, signed: wave 2 starts and the page says so.
    fill_and_submit(
        &mut browser,
        "form[aria-labelledby=decide-title]",
        &[
            ("#decide-login", "admin"),
            ("#decide-password", "correct horse battery"),
            ("#decide-reason", "The canary ward reports no problem"),
        ],
    );
    browser.wait_for(
        "the go, signed",
        "document.querySelector('main .alert-ok')?.textContent.endsWith('wave 2 of 2 started.')",
    );
    let after_go = browser.eval(
        "[...document.querySelectorAll('table.waves tbody tr')].map((r) => [r.cells[0].textContent, r.cells[4].textContent])",
    );
    assert_eq!(
        after_go,
        json!([
            ["Wave 1", "hold point decided: go"],
            ["Wave 2 current", "—"]
        ]),
        "{backend}"
    );
    assert_eq!(
        browser.eval(buttons),
        json!(["Pause the rollout", "Cancel the rollout"]),
        "{backend}"
    );
    let wave = runtime.block_on(aftercare_store::rollout::waves(
        workspace.raw_store().pool(),
        runtime
            .block_on(aftercare_store::rollout::rollout(
                workspace.raw_store().pool(),
                HOSTILE_ROLLOUT,
            ))
            .unwrap()
            .unwrap()
            .id,
    ));
    let wave = wave.unwrap();
    assert_eq!(
        (
            wave[0].decision.as_deref(),
            wave[0].decided_by.as_deref(),
            wave[0].signature_id.is_some()
        ),
        (Some("go"), Some("admin"), true),
        "{backend}: the decision is kept with its signature"
    );
    assert_no_injection(&mut browser, "rollout after the go");
    assert_accessible(&mut browser, axe, "rollout after the go");

    // Wave 2 runs; one pump fails with a long log: 1 of 3 is below 40 %, the rollout runs on
    // and the page offers to retry it.
    let long_log: Vec<String> = (1..=60).map(|n| format!("ERROR : line {n}")).collect();
    let long_log: Vec<&str> = long_log.iter().map(String::as_str).collect();
    browser
        .eval("document.getElementById('rollout-pause-reason-input').value = 'half typed'; true");
    runtime.block_on(device_reports(
        &workspace,
        &pumps[2],
        &[ddi_status("closed", "failure", &long_log)],
    ));
    browser.wait_for(
        "the retry offered, the pause form kept",
        "document.getElementById('rollout-retry')?.textContent === 'Retry the 1 failed device'",
    );
    assert_eq!(
        browser.eval(buttons),
        json!([
            "Retry the 1 failed device",
            "Pause the rollout",
            "Cancel the rollout"
        ]),
        "{backend}"
    );
    assert_eq!(
        browser.eval("document.getElementById('rollout-pause-reason-input').value"),
        json!("half typed"),
        "{backend}: a refresh keeps what is being typed"
    );

    // A second one fails: 2 of 3 is above 40 %, the rollout pauses by itself, and the page
    // says why and offers to resume.
    runtime.block_on(device_reports(
        &workspace,
        &pumps[3],
        &[ddi_status(
            "closed",
            "failure",
            &["ERROR : Image invalid or corrupted."],
        )],
    ));
    browser.wait_for(
        "the rollout paused by its error threshold",
        "document.getElementById('rollout-resume') !== null",
    );
    let reason = browser.eval("document.getElementById('rollout-pause-reason').textContent");
    assert!(
        reason.as_str().unwrap().starts_with("Paused: wave 2"),
        "{backend}: {reason}"
    );
    let second = browser
        .eval("[...document.querySelectorAll('table.waves tbody tr')][1].cells[0].textContent");
    assert_eq!(second, json!("Wave 2 current"), "{backend}");
    assert_no_injection(&mut browser, "paused rollout");
    assert_accessible(&mut browser, axe, "paused rollout");
    screenshot(&mut browser, "rollout-paused");

    // Leaving the page ends its refresh.
    browser.go("/devices/pump-03");
    browser.wait_for(
        "the failed pump's page",
        "document.querySelector('h1')?.textContent === 'Device pump-03'",
    );
    browser.wait_for(
        "its status history",
        "document.querySelector('section.action') !== null",
    );
    browser.eval("performance.clearResourceTimings(); true");
    let history = browser
        .eval("document.querySelector('section[aria-labelledby=device-actions]').textContent");
    let history = history.as_str().unwrap();
    for part in [
        &format!("rollout {HOSTILE_ROLLOUT}, wave 2"),
        "first offer",
        "closed / failure",
        "ERROR : line 1",
        "10 more lines dropped",
    ] {
        assert!(history.contains(part), "{backend}: {part}: {history}");
    }
    assert_no_injection(&mut browser, "device");
    assert_accessible(&mut browser, axe, "device");
    screenshot(&mut browser, "device");
    std::thread::sleep(Duration::from_millis(3500));
    let polled = browser.eval(
        "performance.getEntriesByType('resource').filter((e) => e.name.includes('/api/v1/rollouts/')).length",
    );
    assert_eq!(
        polled,
        json!(0),
        "{backend}: the rollout page's refresh ended with it"
    );

    // Back through the action's link: canceled with a reason, after the confirmation.
    browser.eval("document.querySelector('section.action h3 a').click(); true");
    browser.wait_for(
        "the rollout again",
        "document.getElementById('rollout-cancel-reason') !== null",
    );
    fill_and_submit(
        &mut browser,
        "form[aria-label='Cancel the rollout']",
        &[("#rollout-cancel-reason", "The image fails on the ICU pumps")],
    );
    browser.wait_for(
        "the missing confirmation",
        "document.querySelector('#rollout-feedback .alert-error')?.textContent.includes('tick the confirmation')",
    );
    browser.eval("document.getElementById('rollout-cancel-confirm').checked = true; true");
    browser.eval(
        "document.querySelector(\"form[aria-label='Cancel the rollout']\").requestSubmit(); true",
    );
    browser.wait_for(
        "the canceled rollout",
        "document.querySelector('main .alert-ok')?.textContent.endsWith('canceled.')",
    );
    let reason = browser.eval("document.getElementById('rollout-pause-reason').textContent");
    assert!(
        reason
            .as_str()
            .unwrap()
            .contains("The image fails on the ICU pumps"),
        "{backend}: {reason}"
    );
    assert_eq!(
        browser.eval(buttons),
        json!([]),
        "{backend}: a final rollout has no action"
    );

    // The list: state, wave, installed, failed, devices.
    follow_nav(&mut browser, "Rollouts");
    browser.wait_for(
        "the rollout list",
        "document.getElementById('rollout-count')?.textContent === '1 rollout, newest first.'",
    );
    let row = browser.eval(
        "[...document.querySelector('main table tbody tr').cells].slice(0, 7).map((c) => c.textContent)",
    );
    assert_eq!(
        row,
        json!([
            HOSTILE_ROLLOUT,
            format!("{HOSTILE_PRODUCT} 1.0.1"),
            "canceled",
            "2 of 2",
            "2",
            "2",
            "5"
        ]),
        "{backend}"
    );
    assert_no_injection(&mut browser, "rollouts");
    assert_accessible(&mut browser, axe, "rollouts");
    screenshot(&mut browser, "rollouts");

    let problems = std::mem::take(&mut browser.problems);
    browser.eval("true");
    let problems: Vec<String> = problems
        .into_iter()
        .chain(browser.problems.drain(..))
        .collect();
    assert!(
        problems.is_empty(),
        "{backend}: script errors or policy violations: {problems:#?}"
    );
    drop(browser);
    let _ = stop.send(());
    runtime.block_on(server).unwrap().unwrap();
}
