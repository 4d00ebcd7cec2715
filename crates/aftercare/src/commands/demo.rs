//! `aftercare demo`: a fictional device product line, imported into a fresh workspace and
//! served.

use aftercare_service::access::account;
use aftercare_service::access::auth::Principal;
use aftercare_service::access::password::Password;
use aftercare_service::access::signature::{Meaning, SignRequest};
use aftercare_service::finding::{self, FindingQuery};
use aftercare_service::intel::FeedKind;
use aftercare_service::intel::feed::{self, NewFeedRequest};
use aftercare_service::intel::sync::{NoProgress, SyncOptions};
use aftercare_service::inventory::{self, SbomFile};
use aftercare_service::triage::assessment::{self, AssessmentInput, ControlInput};
use aftercare_service::triage::case::{self, EventInput};
use aftercare_service::{Context, Workspace, WorkspaceLocation, flow};
use anyhow::Context as _;

use crate::Outcome;
use crate::cli::DemoArgs;

/// The file that marks a directory as a demo workspace, so that `demo` only ever replaces
/// its own directories.
const MARKER: &str = ".aftercare-demo";

pub(crate) async fn run(args: DemoArgs) -> anyhow::Result<Outcome> {
    let dir = &args.workspace;
    if dir.exists() {
        if !dir.join(MARKER).exists() {
            anyhow::bail!(
                "{} exists and is not a demo workspace; choose another --workspace",
                dir.display()
            );
        }
        std::fs::remove_dir_all(dir)
            .with_context(|| format!("cannot replace the demo workspace {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::write(
        dir.join(MARKER),
        "created by `aftercare demo`; safe to delete\n",
    )
    .with_context(|| format!("cannot write in {}", dir.display()))?;

    let workspace = Workspace::open(WorkspaceLocation::Directory(dir.clone())).await?;
    let password = demo_password();
    let admin = aftercare_service::flow::init(
        &workspace,
        "admin",
        "Demo Administrator",
        &password,
        jiff::Timestamp::now(),
    )
    .await?;
    // The demo replays a history: every step runs at its own instant (time is a parameter
    // of every use case), so that its records, clocks and audit trail read as they would had
    // the team worked through those weeks. Days are counted back from today.
    let today = jiff::Timestamp::now();
    let context = Context::new(account::actor_of(&admin), today);
    let at = |days_ago: i64| Context {
        now: today - jiff::SignedDuration::from_hours(24 * days_ago),
        ..context.clone()
    };
    let principal = Principal::local(&admin)?;
    let mut imported = 0;
    for product in crate::demo::products() {
        inventory::add_product(&workspace, &at(50), product.name, Some(product.description))
            .await?;
        for release in &product.releases {
            let file = SbomFile {
                name: release.file_name.clone(),
                bytes: release.sbom.clone(),
            };
            let outcome = aftercare_service::flow::import_release(
                &workspace,
                &at(50),
                product.name,
                release.version,
                Some(&file),
            )
            .await?;
            imported += 1;
            eprintln!(
                "imported {} {} ({} components)",
                product.name, release.version, outcome.import.release.component_count
            );
        }
    }
    let feed = Advisories::new(&workspace, &principal, dir);
    history(&workspace, &principal, &password, &feed, &at, HISTORY).await?;
    // Today: every demo advisory, then the analyst's triage of two new findings.
    let findings = feed.sync(&context, &[]).await?;
    triage(&workspace, &context, &principal).await?;
    let fleet = fleet(&workspace, &context, &principal).await?;
    let devices = fleet.len();
    let image = pump_image(&workspace, &context, &principal, dir).await?;
    let rollout = rollout(&workspace, &context, &principal, &fleet).await?;
    let simulated = telemetry(&workspace, &context, &principal, dir).await?;
    let incident = incident(&workspace, &context, &principal, &password).await?;
    let signals =
        aftercare_service::fleet::signals(&workspace, &principal, Some("open"), None, None, 10_000)
            .await?
            .len();
    let determinations = 3;
    let releases = inventory::releases(&workspace, None).await?.len();
    let cases = aftercare_service::triage::case::cases(&workspace, None)
        .await?
        .len();
    let banner = format!(
        "demo workspace {}: 2 products, {releases} releases ({imported} imported, then 2 patches), {findings} open findings, \
         {determinations} signed determinations, {cases} regulatory cases, a patch distributed \
         (aftercare patch show \"{PUMP}@2.2.1\") and one awaiting approval, {devices} devices in \
         two hospitals (aftercare device list --exposed-to CVE-2021-32714), a rollout of the \
         pump's 2.2.1 and its image {image} part-way through its waves (aftercare rollout status \
         {rollout}), {simulated} simulated pumps' telemetry of the last two days with {signals} \
         signals to triage (aftercare signal list; aftercare exposure CVE-2021-32714 --by site), \
         incident {incident} opened from the login burst and classified not reportable \
         (aftercare incident show {incident}); \
         administrator \
         `admin`, password `{}`; web UI at the address above",
        dir.display(),
        password.expose()
    );
    if args.no_serve {
        eprintln!("{banner}");
        return Ok(Outcome::Ok);
    }
    super::serve::serve(workspace, &args.server, Some(banner)).await?;
    Ok(Outcome::Ok)
}

/// One step of a demo case's history, at a number of days before today.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// A sync of the demo feed with these advisories in its folder (they "arrived").
    Sync(&'static [&'static str]),
    /// A case event (kind, reference) recorded on that day.
    Event(&'static str, Option<&'static str>),
    /// The signed determination of the vulnerability's finding in a release (uncontrolled).
    Determination {
        /// The release whose finding is assessed.
        release: &'static str,
        /// The device-context CVSS vector.
        vector: &'static str,
        /// What the team did.
        action: &'static str,
        /// The affected versions the decision covers (`None`: every version).
        versions: Option<&'static str>,
        /// An interim compensating control considered, (description, evidence), not
        /// effective.
        control: Option<(&'static str, &'static str)>,
    },
    /// A step of patch management.
    Patch(PatchStep),
}

/// A step of patch management in the demo's history (the plan is the product's newest).
#[derive(Debug, Clone, Copy)]
enum PatchStep {
    /// A remediation plan for the vulnerability's open findings, out of cycle, with a change
    /// request, shipping in the target version.
    Plan {
        /// The version the fix will ship in.
        target: &'static str,
        /// The change request (REF=URL).
        change_request: &'static str,
    },
    /// Work on the fix started.
    Start,
    /// The patch release (from `demo::patches`) imported for the plan.
    Release(&'static str),
    /// Evidence for the patch release: (kind, title, executed by).
    Evidence(&'static str, &'static str, &'static str),
    /// The approval, signed by the administrator.
    Approve(&'static str),
    /// The distribution through a channel on that day.
    Distribute(&'static str),
    /// The plan closed.
    Close,
}

/// A case's history: (product, vulnerability, days ago, step, why).
type History = &'static [(&'static str, &'static str, i64, Step, &'static str)];

/// The history the demo replays, oldest first, two cases dated relative to today so that the
/// dashboard always has clocks to show. The vulnerabilities are real and affect the demo
/// SBOMs' versions; the devices and the histories are invented.
///
/// * The pump's regex case: the supplier's advisory arrives with a sync and its first match
///   makes the case aware (day -46); an uncontrolled determination (day -40); the customer
///   communication within 30 days and its sharing with the ISAO the next day; remediation is
///   due on day 14.
/// * The gateway's urllib3 case: a researcher's report (day -35) and its acknowledgement, the
///   advisory's sync (day -13), an uncontrolled determination (day -12), and no customer
///   communication yet: that clock was missed on day -5, and the exemption from the 21 CFR 806
///   report with it.
#[rustfmt::skip]
const HISTORY: History = &[
    (PUMP, "CVE-2022-24713", 46, Step::Sync(&[REGEX]), "the regex advisory arrives with the feed"),
    (PUMP, "CVE-2022-24713", 45, Step::Event("advisory_received", None), "the regex maintainers' advisory reached the PSIRT mailbox"),
    (PUMP, "CVE-2022-24713", 40, Step::Determination {
        release: "2.1.0",
        vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
        action: "Upgrade regex to 1.5.5 in VitaFlow IP-300 firmware 2.2.0.",
        versions: None,
        control: None,
    }, "a crafted pattern from the hospital network stalls the pump's dose-limit service"),
    (GATEWAY, "CVE-2021-33503", 35, Step::Event("report_received", Some("PSIRT-DEMO-007")), "a researcher reported it through the disclosure form"),
    (GATEWAY, "CVE-2021-33503", 34, Step::Event("report_acknowledged", Some("PSIRT-DEMO-007")), "acknowledged to the researcher"),
    (PUMP, HYPER_CVE, 30, Step::Sync(&[REGEX, HYPER]), "the hyper advisory arrives with the feed"),
    (PUMP, HYPER_CVE, 28, Step::Determination {
        release: "2.0.0",
        vector: "CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:H",
        action: "Install VitaFlow IP-300 firmware 2.2.1.",
        versions: Some("<0.14.10"),
        control: Some(("Pump web service reachable from the clinical VLAN only", "VF-NET-007 rev C")),
    }, "an overflow in the pump's HTTP stack could stop the infusion controller's status service"),
    (PUMP, HYPER_CVE, 27, Step::Patch(PatchStep::Plan { target: "2.2.1", change_request: "CR-2291=https://qms.example/change-requests/2291" }), "out of cycle by choice: the risk is controlled, but the pump's HTTP stack should not wait for the next regular release"),
    (PUMP, HYPER_CVE, 26, Step::Patch(PatchStep::Start), "firmware team starts on 2.2.1"),
    (PUMP, "CVE-2022-24713", 20, Step::Event("customer_communication_sent", None), "customer notice VF-CSN-2022-04 sent to every site"),
    (PUMP, "CVE-2022-24713", 19, Step::Event("isao_shared", None), "the notice shared with Health-ISAC"),
    (PUMP, HYPER_CVE, 19, Step::Patch(PatchStep::Release("2.2.1")), "firmware 2.2.1 built: hyper 0.14.28"),
    (PUMP, HYPER_CVE, 18, Step::Patch(PatchStep::Evidence("impact_assessment", "Impact of hyper 0.14.28 on the pump's HTTP stack", "Iris Impact")), "change impact assessed"),
    (PUMP, HYPER_CVE, 17, Step::Patch(PatchStep::Evidence("verification", "VER-NET-12 HTTP stack verification", "Vera Verifier")), "verification re-run"),
    (PUMP, HYPER_CVE, 17, Step::Patch(PatchStep::Evidence("regression", "Full firmware regression suite", "Vera Verifier")), "regression suite run"),
    (PUMP, HYPER_CVE, 16, Step::Patch(PatchStep::Evidence("validation", "Simulated-use validation on the ward test bench", "Quinn Quality")), "validated on the test bench"),
    (PUMP, HYPER_CVE, 15, Step::Patch(PatchStep::Approve("2.2.1")), "approved for release"),
    (PUMP, HYPER_CVE, 14, Step::Patch(PatchStep::Distribute("field_service")), "field service installs 2.2.1 at every site"),
    (GATEWAY, "CVE-2021-33503", 13, Step::Sync(&[REGEX, URLLIB3]), "the urllib3 advisory arrives with the feed"),
    (GATEWAY, "CVE-2021-33503", 12, Step::Determination {
        release: "1.4.0",
        vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
        action: "Upgrade urllib3 to 1.26.5 in VitaLink 1.5.",
        versions: None,
        control: None,
    }, "a crafted URL stalls the gateway that relays the pumps' drug libraries"),
    (GATEWAY, "CVE-2021-33503", 11, Step::Patch(PatchStep::Plan { target: "1.4.1", change_request: "CR-2307=https://qms.example/change-requests/2307" }), "out of cycle: the determination is uncontrolled"),
    (PUMP, HYPER_CVE, 10, Step::Patch(PatchStep::Close), "every site runs 2.2.1; the plan is done"),
    (GATEWAY, "CVE-2021-33503", 6, Step::Patch(PatchStep::Release("1.4.1")), "gateway 1.4.1 built: urllib3 1.26.5"),
    (GATEWAY, "CVE-2021-33503", 4, Step::Patch(PatchStep::Evidence("impact_assessment", "Impact of urllib3 1.26.5 on the EHR relay", "Iris Impact")), "change impact assessed"),
    (GATEWAY, "CVE-2021-33503", 3, Step::Patch(PatchStep::Evidence("verification", "VER-GW-4 relay verification", "Vera Verifier")), "verification re-run; validation and regression still to come"),
];

/// The demo's installed base: two hospitals with their sites, two pumps on 2.2.1 (field
/// service installed it by hand, as the history says), five still on 2.1.0 — exposed to
/// hyper's CVE-2021-32714 until the rollout reaches them — and the gateways on the releases
/// they run, the two on 1.4.0 still exposed to urllib3's CVE-2021-33503, whose patch 1.4.1
/// awaits approval. Answers each device with its token (the rollout's simulated devices use
/// them once; they are not kept).
async fn fleet(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
) -> anyhow::Result<Vec<aftercare_service::device::Registered>> {
    use aftercare_service::device::{self, NewDeviceRequest};
    let mut registered = Vec::with_capacity(FLEET.len());
    for (organisation, description, sites) in FLEET_SITES {
        device::add_organisation(
            workspace,
            context,
            principal,
            organisation,
            Some(description),
        )
        .await?;
        for (site, timezone) in *sites {
            device::add_site(
                workspace,
                context,
                principal,
                site,
                organisation,
                Some(timezone),
            )
            .await?;
        }
    }
    for (controller, product, serial, hardware, site, release, tags) in FLEET {
        let request = NewDeviceRequest {
            controller_id: controller.to_string(),
            product: product.to_string(),
            serial: serial.to_string(),
            hardware: Some(hardware.to_string()),
            site: Some(site.to_string()),
            organisation: None,
            tags: tags.iter().map(|tag| tag.to_string()).collect(),
            release: Some(release.to_string()),
            client: Some("swupdate".to_string()),
        };
        registered.push(
            device::add(workspace, context, principal, &request)
                .await
                .with_context(|| format!("demo device {controller}"))?,
        );
    }
    Ok(registered)
}

/// The file of the pump's 2.2.1 that its rollout offers, so that a device has something to
/// download (over DDI: `softwaremodules/…/artifacts/NAME`, with its `.MD5SUM`): 64 KiB
/// generated here, a text header then bytes derived from it, not a real firmware image. It is
/// no `.swu` on purpose: a `.swu` is stored only when its CMS signature verifies against the
/// product's update CA (`product trust-ca`), and the demo holds no signing key; other files
/// are stored as they are, with no signer. Answers the file's name.
async fn pump_image(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    dir: &std::path::Path,
) -> anyhow::Result<&'static str> {
    const NAME: &str = "vitaflow-ip300-2.2.1.img";
    const SIZE: usize = 64 * 1024;
    let mut bytes =
        format!("{PUMP} firmware 2.2.1: an aftercare demo image, not installable on any device.\n")
            .into_bytes();
    let mut block = aftercare_model::Sha256::of(&bytes);
    while bytes.len() < SIZE {
        bytes.extend_from_slice(block.as_bytes());
        block = aftercare_model::Sha256::of(block.as_bytes());
    }
    bytes.truncate(SIZE);
    // Staged beside the workspace's own files, and removed once the object store holds it.
    let staged = dir.join(format!(".{NAME}"));
    std::fs::write(&staged, &bytes)
        .with_context(|| format!("cannot write {}", staged.display()))?;
    let added = aftercare_service::artifact::add_named(
        workspace, context, principal, PUMP, "2.2.1", &staged, NAME,
    )
    .await;
    let _ = std::fs::remove_file(&staged);
    added.context("the demo's pump image")?;
    Ok(NAME)
}

/// The rollout of the pump's 2.2.1 to the five pumps still on 2.1.0, part-way: in waves of
/// 1, then up to 3, then the rest; its canary installed (as SWUpdate reports it over DDI),
/// the second wave started — one pump installed, one still downloading — and the last wave
/// waiting. Answers the rollout's name.
async fn rollout(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    fleet: &[aftercare_service::device::Registered],
) -> anyhow::Result<&'static str> {
    use aftercare_service::rollout::{self, NewRollout, ddi};
    const NAME: &str = "ip300-2.2.1-field";
    rollout::create(
        workspace,
        context,
        principal,
        &NewRollout {
            name: NAME.into(),
            product: PUMP.into(),
            version: "2.2.1".into(),
            filter: format!("product=\"{PUMP}\" release=2.1.0"),
            waves: "1,3,all".into(),
            success: "100%".into(),
            error: "20%".into(),
            update_type: "forced".into(),
            ..NewRollout::default()
        },
    )
    .await
    .context("the demo rollout")?;
    flow::start_rollout(workspace, context, principal, NAME).await?;
    let feedback = |execution: &str, finished: &str, detail: &str| ddi::FeedbackBody {
        execution: execution.into(),
        finished: finished.into(),
        details: vec![detail.into()],
        code: None,
    };
    // What SWUpdate reports: fetch, progress, installed, and "Update Installed." after the
    // reboot; the last one only downloads so far.
    for (id, done) in [
        ("ip300-kn-its-02", true),
        ("ip300-sa-icu-02", true),
        ("ip300-sa-icu-03", false),
    ] {
        let registered = fleet
            .iter()
            .find(|r| r.device.row.controller_id == id)
            .with_context(|| format!("demo device {id}"))?;
        let device =
            aftercare_service::device::authenticate(workspace, id, &registered.token).await?;
        let ddi::PollLink::Deployment { action_id, .. } =
            ddi::poll(workspace, context, &device).await?.link
        else {
            anyhow::bail!("demo device {id} was not offered the patch");
        };
        ddi::deployment(workspace, context, &device, action_id).await?;
        ddi::feedback(
            workspace,
            context,
            &device,
            action_id,
            false,
            &feedback("proceeding", "none", "Installing Update Chunk Artifacts."),
        )
        .await?;
        if done {
            for (execution, finished, detail) in [
                ("proceeding", "none", "All Chunks Installed."),
                ("closed", "success", "Update Installed."),
            ] {
                ddi::feedback(
                    workspace,
                    context,
                    &device,
                    action_id,
                    false,
                    &feedback(execution, finished, detail),
                )
                .await?;
            }
        }
        flow::rollout_tick(workspace, context).await?;
    }
    Ok(NAME)
}

/// Sites of an organisation: name, time zone.
type Sites = &'static [(&'static str, &'static str)];

/// The demo's organisations, with a description and their sites.
const FLEET_SITES: &[(&str, &str, Sites)] = &[
    (
        "St. Aldric Medical Center",
        "a fictional hospital in Boston",
        &[
            ("St. Aldric ICU", "America/New_York"),
            ("St. Aldric Oncology", "America/New_York"),
        ],
    ),
    (
        "Klinikum Nordheide",
        "a fictional hospital near Hamburg",
        &[("Klinikum Nordheide Intensivstation", "Europe/Berlin")],
    ),
];

/// The demo's devices: controller id, product, serial, hardware revision, site, installed
/// release, tags.
#[allow(clippy::type_complexity, reason = "one table of literals")]
const FLEET: &[(&str, &str, &str, &str, &str, &str, &[&str])] = &[
    (
        "ip300-sa-icu-01",
        PUMP,
        "IP300-10001",
        "rev-C",
        "St. Aldric ICU",
        "2.2.1",
        &["ward=icu"],
    ),
    (
        "ip300-sa-icu-02",
        PUMP,
        "IP300-10002",
        "rev-C",
        "St. Aldric ICU",
        "2.1.0",
        &["ward=icu"],
    ),
    (
        "ip300-sa-icu-03",
        PUMP,
        "IP300-10003",
        "rev-D",
        "St. Aldric ICU",
        "2.1.0",
        &["ward=icu"],
    ),
    (
        "ip300-sa-onc-01",
        PUMP,
        "IP300-10004",
        "rev-D",
        "St. Aldric Oncology",
        "2.1.0",
        &["ward=oncology"],
    ),
    (
        "ip300-sa-onc-02",
        PUMP,
        "IP300-10005",
        "rev-D",
        "St. Aldric Oncology",
        "2.1.0",
        &["ward=oncology"],
    ),
    (
        "ip300-kn-its-01",
        PUMP,
        "IP300-20001",
        "rev-C",
        "Klinikum Nordheide Intensivstation",
        "2.2.1",
        &["ward=icu"],
    ),
    (
        "ip300-kn-its-02",
        PUMP,
        "IP300-20002",
        "rev-C",
        "Klinikum Nordheide Intensivstation",
        "2.1.0",
        &["ward=icu"],
    ),
    (
        "vl-gw-sa-01",
        GATEWAY,
        "VLGW-3001",
        "gw-2",
        "St. Aldric ICU",
        "1.4.0",
        &["role=ehr-relay"],
    ),
    (
        "vl-gw-sa-02",
        GATEWAY,
        "VLGW-3002",
        "gw-2",
        "St. Aldric Oncology",
        "1.5.0",
        &["role=ehr-relay"],
    ),
    (
        "vl-gw-kn-01",
        GATEWAY,
        "VLGW-4001",
        "gw-2",
        "Klinikum Nordheide Intensivstation",
        "1.4.0",
        &["role=ehr-relay"],
    ),
    (
        "vl-gw-kn-02",
        GATEWAY,
        "VLGW-4002",
        "gw-3",
        "Klinikum Nordheide Intensivstation",
        "2.0.0",
        &["role=ehr-relay", "pilot"],
    ),
];

/// The demo advisories of the cases.
const REGEX: &str = "AFTERCARE-DEMO-2022-0013";
const HYPER: &str = "AFTERCARE-DEMO-2021-0079";
const HYPER_CVE: &str = "CVE-2021-32714";
const URLLIB3: &str = "AFTERCARE-DEMO-2021-33503";

/// Replays the history, each step at its own instant.
async fn history(
    workspace: &Workspace,
    principal: &Principal,
    password: &Password,
    feed: &Advisories<'_>,
    at: &impl Fn(i64) -> Context,
    steps: History,
) -> anyhow::Result<()> {
    for &(product, vulnerability, days_ago, step, why) in steps {
        let context = at(days_ago);
        match step {
            Step::Sync(records) => {
                feed.sync(&context, records).await?;
                Ok(())
            }
            Step::Event(kind, reference) => {
                let input = EventInput {
                    kind: kind.to_string(),
                    reference: reference.map(str::to_string),
                    reason: Some(why.to_string()),
                    ..EventInput::default()
                };
                case::record_event(
                    workspace,
                    &context,
                    principal,
                    product,
                    vulnerability,
                    &input,
                    None,
                )
                .await
                .map(|_| ())
            }
            Step::Patch(patch) => {
                patch_step(
                    workspace,
                    &context,
                    principal,
                    password,
                    product,
                    vulnerability,
                    patch,
                    why,
                )
                .await
            }
            Step::Determination {
                release,
                vector,
                action,
                versions,
                control,
            } => {
                let finding = one_finding(workspace, product, release, vulnerability).await?;
                let sign = SignRequest {
                    login: Some("admin".into()),
                    password: password.clone(),
                    meaning: Meaning::Authorship,
                    reason: Some(why.into()),
                };
                assessment::assess(
                    workspace,
                    &context,
                    principal,
                    &[finding],
                    &AssessmentInput {
                        status: "affected".into(),
                        responses: vec!["update".into()],
                        action_statement: Some(action.into()),
                        scope: Some("product".into()),
                        cvss_vector: Some(vector.into()),
                        harm: Some("serious".into()),
                        safety_and_essential_performance_affected: Some(true),
                        versions: versions.map(str::to_string),
                        controls: control
                            .map(|(description, evidence)| ControlInput {
                                description: description.into(),
                                evidence: evidence.into(),
                                effective: false,
                            })
                            .into_iter()
                            .collect(),
                        ..AssessmentInput::default()
                    },
                    Some(&sign),
                    context.now,
                )
                .await
                .map(|_| ())
            }
        }
        .with_context(|| format!("demo case {product} {vulnerability}, day -{days_ago}"))?;
    }
    Ok(())
}

/// The demo's advisories: OSV records the project wrote, each summarizing a real public
/// advisory, served to the workspace as a local feed whose folder grows as they "arrive".
struct Advisories<'a> {
    workspace: &'a Workspace,
    principal: &'a Principal,
    folder: std::path::PathBuf,
}

impl<'a> Advisories<'a> {
    fn new(workspace: &'a Workspace, principal: &'a Principal, dir: &std::path::Path) -> Self {
        Advisories {
            workspace,
            principal,
            folder: dir.join("demo-advisories"),
        }
    }

    /// Writes the named records (every record when `only` is empty) into the feed's folder,
    /// adds the feed the first time, and syncs it at the context's instant; returns how many
    /// findings are open.
    async fn sync(&self, context: &Context, only: &[&str]) -> anyhow::Result<i64> {
        let first = !self.folder.exists();
        std::fs::create_dir_all(&self.folder)
            .with_context(|| format!("cannot create {}", self.folder.display()))?;
        for (name, bytes) in crate::demo::advisories() {
            let id = name.trim_end_matches(".json");
            if only.is_empty() || only.contains(&id) {
                std::fs::write(self.folder.join(&name), bytes)
                    .with_context(|| format!("cannot write {name} in {}", self.folder.display()))?;
            }
        }
        if first {
            feed::add(
                self.workspace,
                context,
                self.principal,
                &NewFeedRequest {
                    name: "demo-advisories".into(),
                    kind: FeedKind::Osv,
                    url: None,
                    path: Some(self.folder.display().to_string()),
                    ecosystem: None,
                },
            )
            .await?;
        }
        let report = aftercare_service::flow::sync(
            self.workspace,
            context,
            self.principal,
            "demo-advisories",
            &SyncOptions::default(),
            &NoProgress,
        )
        .await?;
        eprintln!(
            "synced {} demo advisories: {} findings opened",
            report.sync.counts.new,
            report.matched.as_ref().map_or(0, |m| m.opened.len())
        );
        Ok(finding::list(self.workspace, &FindingQuery::default())
            .await?
            .total)
    }
}

/// The one finding of a vulnerability in a release.
async fn one_finding(
    workspace: &Workspace,
    product: &str,
    release: &str,
    vulnerability: &str,
) -> anyhow::Result<i64> {
    let page = finding::list(
        workspace,
        &FindingQuery {
            product: Some(product.into()),
            release: Some(release.into()),
            vulnerability: Some(vulnerability.into()),
            ..FindingQuery::default()
        },
    )
    .await?;
    page.findings
        .first()
        .map(|f| f.id)
        .ok_or_else(|| anyhow::anyhow!("demo: no {vulnerability} finding in {product} {release}"))
}

/// Triages a finding the way an analyst would: the gateway never loads YAML with the full
/// loader, so PyYAML's code execution does not affect any of its releases.
async fn triage(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
) -> anyhow::Result<()> {
    let pyyaml = one_finding(workspace, GATEWAY, "1.4.0", "CVE-2020-14343").await?;
    assessment::assess(
        workspace,
        context,
        principal,
        &[pyyaml],
        &AssessmentInput {
            status: "not_affected".into(),
            justification: Some("code_not_reachable".into()),
            impact_statement: Some(
                "The gateway parses its configuration with yaml.safe_load only.".into(),
            ),
            scope: Some("product".into()),
            versions: Some("<5.4".into()),
            ..AssessmentInput::default()
        },
        None,
        context.now,
    )
    .await?;
    Ok(())
}

/// Runs one step of patch management at the context's instant.
#[allow(clippy::too_many_arguments)]
async fn patch_step(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    password: &Password,
    product: &str,
    vulnerability: &str,
    step: PatchStep,
    why: &str,
) -> Result<(), aftercare_service::ServiceError> {
    use aftercare_service::patch::plan::{self, NewPlan, PlanUpdate};
    use aftercare_service::patch::release::{self, EvidenceUpload, NewDistribution, NewEvidence};
    let newest_plan = || async {
        plan::list(workspace, Some(product), None)
            .await?
            .first()
            .map(|row| row.id)
            .ok_or_else(|| aftercare_service::ServiceError::NotFound {
                entity: "plan",
                key: product.to_string(),
            })
    };
    let patch_of = || async {
        let id = newest_plan().await?;
        let view = plan::show(workspace, id).await?;
        view.patches
            .last()
            .map(|(_, version)| version.clone())
            .ok_or_else(|| aftercare_service::ServiceError::NotFound {
                entity: "patch",
                key: format!("plan {id}"),
            })
    };
    let current = aftercare_service::triage::policy::current(workspace).await?;
    let today = current.policy.calendar().day_of(context.now);
    match step {
        PatchStep::Plan {
            target,
            change_request,
        } => {
            plan::create(
                workspace,
                context,
                principal,
                &NewPlan {
                    product: product.into(),
                    vulnerabilities: vec![vulnerability.into()],
                    target_version: target.into(),
                    cycle: "out_of_cycle".into(),
                    owner: "admin".into(),
                    change_requests: vec![change_request.parse()?],
                    ..NewPlan::default()
                },
            )
            .await?;
        }
        PatchStep::Start => {
            let id = newest_plan().await?;
            plan::update(
                workspace,
                context,
                principal,
                id,
                &PlanUpdate {
                    start: true,
                    ..PlanUpdate::default()
                },
            )
            .await?;
        }
        PatchStep::Release(version) => {
            let id = newest_plan().await?;
            let (_, release) = crate::demo::patches()
                .into_iter()
                .find(|(name, release)| *name == product && release.version == version)
                .ok_or_else(|| aftercare_service::ServiceError::NotFound {
                    entity: "demo patch release",
                    key: version.to_string(),
                })?;
            aftercare_service::flow::import_patch_release(
                workspace,
                context,
                principal,
                product,
                version,
                Some(&SbomFile {
                    name: release.file_name.clone(),
                    bytes: release.sbom.clone(),
                }),
                &[id],
            )
            .await?;
        }
        PatchStep::Evidence(kind, title, by) => {
            let version = patch_of().await?;
            let report = format!(
                "{title}\n{product} {version}\nexecuted on {today} by {by}: pass\n({why})\n\nA demo record written by aftercare demo; the devices and the tests are invented.\n"
            );
            release::add_evidence(
                workspace,
                context,
                principal,
                product,
                &version,
                &NewEvidence {
                    kind: kind.into(),
                    title: title.into(),
                    result: "pass".into(),
                    executed_by: vec![by.into()],
                    executed_on: today,
                    files: vec![EvidenceUpload {
                        name: format!("{kind}-{version}.txt"),
                        bytes: report.into_bytes(),
                    }],
                    impact: (kind == "impact_assessment").then(|| aftercare_patch::ImpactAnswers {
                        safety_and_essential_performance_affected: false,
                        verification_rerun: vec!["VER-NET-12".into(), "VER-SYS-3".into()],
                        regulatory_path: aftercare_patch::RegulatoryPath::LetterToFile,
                        clearance: None,
                        rationale: format!(
                            "{why}: a dependency update inside the same minor version; the device's intended use, \
                             alarms and dose limits are untouched, so a letter to file documents it"
                        ),
                    }),
                    supersedes: None,
                },
            )
            .await?;
        }
        PatchStep::Approve(version) => {
            release::approve(
                workspace,
                context,
                principal,
                product,
                version,
                &SignRequest {
                    login: Some("admin".into()),
                    password: password.clone(),
                    meaning: Meaning::Approval,
                    reason: Some(why.into()),
                },
            )
            .await?;
        }
        PatchStep::Distribute(channel) => {
            let version = patch_of().await?;
            aftercare_service::flow::distribute(
                workspace,
                context,
                principal,
                product,
                &version,
                &NewDistribution {
                    channel: channel.into(),
                    on: today,
                    organisation: None,
                    evidence: None,
                },
            )
            .await?;
        }
        PatchStep::Close => {
            let id = newest_plan().await?;
            plan::close(workspace, context, principal, id, None).await?;
        }
    }
    Ok(())
}

const PUMP: &str = "VitaFlow IP-300 infusion pump";
const GATEWAY: &str = "VitaLink hospital gateway";

/// A fresh random password for the demo administrator, printed once.
fn demo_password() -> Password {
    let digest = aftercare_model::Sha256::of(
        format!("{:?}{}", std::time::SystemTime::now(), std::process::id()).as_bytes(),
    );
    Password::new(format!("demo-{}", &digest.to_hex()[..16]))
}

/// Simulated pumps on 2.1.0 sending two days of telemetry through the real HTTP path — a
/// server of the demo's own on a loopback port for the time it takes, trusting device time —
/// with a 3σ step, a burst of failed logins, a pump that falls silent and a patch that triples
/// errors (`aftercare simulate-fleet`); then the fleet tick, for the silent pump. Answers how
/// many pumps were simulated.
async fn telemetry(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    dir: &std::path::Path,
) -> anyhow::Result<u32> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let mut state =
        aftercare_server::AppState::new(workspace.clone(), aftercare_server::Settings::default());
    let mut fleet = aftercare_server::api::fleet::FleetRuntime::new(1_000_000);
    fleet.trust_device_time = true;
    state.fleet = std::sync::Arc::new(fleet);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(aftercare_server::serve(
        aftercare_server::router(state),
        listener,
        async {
            let _ = stopped.await;
        },
    ));
    let args = crate::cli::SimulateFleetArgs {
        devices: 24,
        days: 2,
        seed: 20261207,
        faults: ["step", "auth-burst", "silence", "bad-patch"]
            .map(String::from)
            .to_vec(),
        product: PUMP.into(),
        release: "2.1.0".into(),
        patch: "2.2.1".into(),
        site: Some("St. Aldric ICU".into()),
        url: Some(format!("http://{address}")),
        mqtt: None,
        tenant: "DEFAULT".into(),
        batch_minutes: 120,
        connections: 2,
        tokens: None,
        workspace: crate::cli::WorkspaceArgs {
            workspace: dir.to_path_buf(),
            database_url: None,
        },
    };
    let sent = super::fleet_sim::simulate(
        workspace,
        context,
        principal,
        &args,
        &dir.join("simulated-devices.csv"),
        &super::fleet_sim::Target::Http(format!("http://{address}")),
    )
    .await;
    let _ = stop.send(());
    let _ = server.await;
    sent?;
    aftercare_service::fleet::tick(
        workspace,
        &Context::new(aftercare_model::Actor::system("fleet-tick"), context.now),
        &aftercare_service::fleet::Detectors::default(),
        jiff::SignedDuration::from_mins(5),
    )
    .await?;
    Ok(args.devices)
}

/// The security analyst opens an incident from the simulated login burst and classifies it,
/// signed, as a cybersecurity event that is not reportable (no clock). Answers its number.
async fn incident(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    password: &Password,
) -> anyhow::Result<String> {
    use aftercare_service::incident::{self, ClassifyRequest, OpenRequest};
    let burst = aftercare_service::fleet::signals(
        workspace,
        principal,
        Some("open"),
        Some("rate"),
        None,
        10,
    )
    .await?
    .into_iter()
    .next()
    .context("the simulated login burst raised no signal")?;
    let opened = incident::open(
        workspace,
        context,
        principal,
        &OpenRequest {
            title: format!(
                "Failed-login burst on {}",
                burst.controller_id.clone().unwrap_or_default()
            ),
            description:
                "Twenty-five failed SSH logins within five minutes on one pump in the ICU; \
                          the pump's service port is reachable from the clinical VLAN."
                    .into(),
            signal: Some(burst.id),
            ..OpenRequest::default()
        },
    )
    .await?;
    let id = opened.incident.id;
    incident::classify(
        workspace,
        context,
        principal,
        id,
        &ClassifyRequest {
            not_reportable: true,
            rationale: "No therapy was interrupted and no setting changed: the pump refused every \
                        attempt and its logs show no successful login; a cybersecurity event \
                        without harm or malfunction, so neither 21 CFR 803 nor EU MDR Art. 87 applies."
                .into(),
            ..ClassifyRequest::default()
        },
        Some(&SignRequest {
            login: Some("admin".into()),
            password: password.clone(),
            meaning: Meaning::Approval,
            reason: Some("incident classification".into()),
        }),
    )
    .await?;
    Ok(format!("INC-{id}"))
}
