//! `aftercare demo`: a fictional device product line, imported into a fresh workspace and
//! served.

use aftercare_service::account::{self, Password};
use aftercare_service::case::{self, EventInput};
use aftercare_service::inventory::{self, SbomFile};
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
    let admin = account::init(&workspace, "admin", "Demo Administrator", &password).await?;
    let context = Context::new(account::actor_of(&admin));
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
            let outcome = inventory::add_release(
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
                product.name, release.version, outcome.release.component_count
            );
        }
    }
    let cases = record_cases(&workspace, &context).await?;
    let banner = format!(
        "demo workspace {}: 2 products, {imported} releases, {cases} regulatory cases; \
         administrator `admin`, password `{}`; web UI at the address above",
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
