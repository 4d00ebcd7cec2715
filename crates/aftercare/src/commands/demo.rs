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
use aftercare_service::{Context, Workspace, WorkspaceLocation};
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
    let context = Context::new(account::actor_of(&admin), jiff::Timestamp::now());
    let mut imported = 0;
    for product in crate::demo::products() {
        inventory::add_product(
            &workspace,
            &context,
            product.name,
            Some(product.description),
        )
        .await?;
        for release in &product.releases {
            let file = SbomFile {
                name: release.file_name.clone(),
                bytes: release.sbom.clone(),
            };
            let outcome = aftercare_service::flow::import_release(
                &workspace,
                &context,
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
    // The case histories first (they lie in the past), then the intelligence: its sync
    // matches every release and opens the cases of the other first matches today.
    record_cases(&workspace, &context).await?;
    let principal = Principal::local(&admin)?;
    let findings = load_advisories(&workspace, &context, &principal, dir).await?;
    let determinations = triage(&workspace, &context, &principal, &password).await?;
    let cases = aftercare_service::triage::case::cases(&workspace, None)
        .await?
        .len();
    let banner = format!(
        "demo workspace {}: 2 products, {imported} releases, {findings} open findings, \
         {determinations} signed determinations, {cases} regulatory cases; administrator \
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

/// One event of a demo case: (product, vulnerability, kind, days ago, reference, risk).
type DemoEvent = (
    &'static str,
    &'static str,
    &'static str,
    i64,
    Option<&'static str>,
    Option<&'static str>,
);

/// Two regulatory cases, dated relative to today so that the dashboard always has clocks to
/// show: the pump's regex advisory (customer communication met, remediation due in 15 days)
/// and the gateway's urllib3 report (customer communication 5 days overdue, remediation due
/// in 25 days). The vulnerabilities are real and affect the demo SBOMs' versions; the devices
/// and the case histories are invented.
#[rustfmt::skip]
const DEMO_EVENTS: &[DemoEvent] = &[
    ("VitaFlow IP-300 infusion pump", "CVE-2022-24713", "advisory_received", 45, None, None),
    ("VitaFlow IP-300 infusion pump", "CVE-2022-24713", "determination_made", 40, None, Some("uncontrolled")),
    ("VitaFlow IP-300 infusion pump", "CVE-2022-24713", "customer_communication_sent", 20, None, None),
    ("VitaFlow IP-300 infusion pump", "CVE-2022-24713", "isao_shared", 19, None, None),
    ("VitaLink hospital gateway", "CVE-2021-33503", "report_received", 35, Some("PSIRT-DEMO-007"), None),
    ("VitaLink hospital gateway", "CVE-2021-33503", "report_acknowledged", 34, Some("PSIRT-DEMO-007"), None),
    ("VitaLink hospital gateway", "CVE-2021-33503", "determination_made", 12, None, Some("uncontrolled")),
];

/// Writes the demo's OSV records into the workspace, adds them as a local feed and syncs
/// it; returns how many findings are open.
async fn load_advisories(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    dir: &std::path::Path,
) -> anyhow::Result<i64> {
    let folder = dir.join("demo-advisories");
    std::fs::create_dir_all(&folder)
        .with_context(|| format!("cannot create {}", folder.display()))?;
    for (name, bytes) in crate::demo::advisories() {
        std::fs::write(folder.join(&name), bytes)
            .with_context(|| format!("cannot write {name} in {}", folder.display()))?;
    }
    feed::add(
        workspace,
        context,
        principal,
        &NewFeedRequest {
            name: "demo-advisories".into(),
            kind: FeedKind::Osv,
            url: None,
            path: Some(folder.display().to_string()),
            ecosystem: None,
        },
    )
    .await?;
    let report = aftercare_service::flow::sync(
        workspace,
        context,
        principal,
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
    Ok(finding::list(workspace, &FindingQuery::default())
        .await?
        .total)
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

/// Triages two findings the way an analyst would: the pump's hyper overflow is affected in
/// every release that has hyper below 0.14.10, with a signed determination; the gateway never
/// loads YAML with the full loader, so PyYAML's code execution does not affect any of its
/// releases. Returns how many determinations were signed.
async fn triage(
    workspace: &Workspace,
    context: &Context,
    principal: &Principal,
    password: &Password,
) -> anyhow::Result<usize> {
    let now = jiff::Timestamp::now();
    let hyper = one_finding(workspace, PUMP, "2.0.0", "CVE-2021-32714").await?;
    let sign = SignRequest {
        login: Some("admin".into()),
        password: password.clone(),
        meaning: Meaning::Authorship,
        reason: Some("demo triage".into()),
    };
    let outcome = assessment::assess(
        workspace,
        context,
        principal,
        &[hyper],
        &AssessmentInput {
            status: "affected".into(),
            responses: vec!["update".into()],
            action_statement: Some("Install VitaFlow IP-300 firmware 2.2.0.".into()),
            scope: Some("product".into()),
            versions: Some("<0.14.10".into()),
            cvss_vector: Some("CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:H".into()),
            harm: Some("serious".into()),
            safety_and_essential_performance_affected: Some(true),
            controls: vec![ControlInput {
                description: "Pump web service reachable from the clinical VLAN only".into(),
                evidence: "VF-NET-007 rev C".into(),
                effective: false,
            }],
            ..AssessmentInput::default()
        },
        Some(&sign),
        now,
    )
    .await?;
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
        now,
    )
    .await?;
    Ok(outcome.determinations.len())
}

const PUMP: &str = "VitaFlow IP-300 infusion pump";
const GATEWAY: &str = "VitaLink hospital gateway";

/// Records the demo's regulatory cases; returns how many there are.
async fn record_cases(workspace: &Workspace, context: &Context) -> anyhow::Result<usize> {
    let now = jiff::Timestamp::now();
    let mut cases = std::collections::BTreeSet::new();
    for &(product, vulnerability, kind, days_ago, reference, risk) in DEMO_EVENTS {
        let input = EventInput {
            kind: kind.to_string(),
            at: Some(now - jiff::SignedDuration::from_hours(24 * days_ago)),
            reference: reference.map(str::to_string),
            risk: risk.map(str::to_string),
            ..EventInput::default()
        };
        let event = input.to_event(now)?;
        case::record_event(workspace, context, product, vulnerability, event)
            .await
            .with_context(|| format!("demo case {product} {vulnerability}: {kind}"))?;
        cases.insert((product, vulnerability));
    }
    Ok(cases.len())
}

/// A fresh random password for the demo administrator, printed once.
fn demo_password() -> Password {
    let digest = aftercare_model::Sha256::of(
        format!("{:?}{}", std::time::SystemTime::now(), std::process::id()).as_bytes(),
    );
    Password::new(format!("demo-{}", &digest.to_hex()[..16]))
}
