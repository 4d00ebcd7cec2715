//! The commands, one module per noun.

mod access;
mod advisories;
mod artifact;
mod component;
mod cvss;
mod demo;
mod device;
mod finding;
mod fleet_sim;
mod incident;
mod index;
mod init;
mod intel;
mod patch;
mod product;
mod release;
mod rollout;
mod sbom;
mod scan;
mod serve;
mod signal;
mod simulate;
mod triage;

use aftercare_service::access::account;
use aftercare_service::{Context, Workspace, WorkspaceLocation};
use anyhow::Context as _;

use crate::Outcome;
use crate::cli::{Cli, Command, WorkspaceArgs};

/// Runs a one-shot command that needs no async runtime (`scan`, `index`, `cvss`) on the
/// calling thread, or hands the command line back for [`run`].
///
/// `scan` is meant to take a few tens of milliseconds as a whole process: starting a
/// multi-threaded runtime costs threads, and moving the work off the main thread makes
/// glibc allocate from a thread arena that grows by `mprotect`, page fault after page fault.
pub fn run_local(cli: Cli) -> Result<anyhow::Result<Outcome>, Box<Cli>> {
    match cli.command {
        Command::Cvss { vector, format } => Ok(cvss::run(&vector, format.format)),
        Command::Rubric(command) => Ok(finding::rubric(command)),
        Command::Scan(args) => Ok(scan::run(args)),
        Command::Index(command) => Ok(index::run(command)),
        command => Err(Box::new(Cli { command })),
    }
}

/// Runs CPU-bound synchronous work off the async runtime.
async fn blocking(
    work: impl FnOnce() -> anyhow::Result<Outcome> + Send + 'static,
) -> anyhow::Result<Outcome> {
    tokio::task::spawn_blocking(work)
        .await
        .context("the command stopped unexpectedly")?
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<Outcome> {
    match cli.command {
        Command::Sbom(command) => sbom::run(command).await,
        Command::Cvss { vector, format } => cvss::run(&vector, format.format),
        Command::Rubric(command) => finding::rubric(command),
        Command::Scan(args) => blocking(move || scan::run(args)).await,
        Command::Index(command) => blocking(move || index::run(command)).await,
        Command::Init(args) => init::run(args).await,
        Command::Product(command) => product::run(command).await,
        Command::Release(command) => release::run(command).await,
        Command::Component(command) => component::run(command).await,
        Command::Account(command) => access::account(command).await,
        Command::Token(command) => access::token(command).await,
        Command::Audit(command) => access::audit(command).await,
        Command::Policy(command) => triage::policy(command).await,
        Command::Clock(command) => triage::clock(command).await,
        Command::Feed(command) => intel::feed(command).await,
        Command::Vuln(command) => intel::vuln(command).await,
        Command::Finding(command) => finding::run(*command).await,
        Command::Match(args) => finding::rematch(args).await,
        Command::Plan(command) => patch::plan(*command).await,
        Command::Patch(command) => patch::run(*command).await,
        Command::Organisation(command) => device::organisation(command).await,
        Command::Site(command) => device::site(command).await,
        Command::Device(command) => device::run(*command).await,
        Command::Rollout(command) => rollout::run(*command).await,
        Command::Signal(command) => signal::run(command).await,
        Command::Incident(command) => incident::run(*command).await,
        Command::Artifact(command) => artifact::run(command).await,
        Command::Serve(args) => serve::run(args).await,
        Command::Demo(args) => demo::run(args).await,
        Command::SimulateFleet(args) => fleet_sim::run(args).await,
        Command::Exposure(args) => signal::exposure(args).await,
    }
}

/// Where the workspace arguments point.
pub(crate) fn location(args: &WorkspaceArgs) -> WorkspaceLocation {
    match &args.database_url {
        Some(url) => WorkspaceLocation::Database(url.clone()),
        None => WorkspaceLocation::Directory(args.workspace.clone()),
    }
}

/// Opens an initialized workspace as its local administrator: whoever can open the
/// workspace may administer it, and local commands record that administrator as the actor.
pub(crate) async fn open_as_admin(
    args: &WorkspaceArgs,
) -> anyhow::Result<(
    Workspace,
    Context,
    aftercare_service::access::auth::Principal,
)> {
    let (workspace, context) = open(args).await?;
    let admin = aftercare_service::access::account::local_admin(&workspace).await?;
    let principal = aftercare_service::access::auth::Principal::local(&admin)?;
    Ok((workspace, context, principal))
}

/// Opens an initialized workspace and the local administrator's context: local commands run
/// as the administrator `init` created, and record it as the actor.
pub(crate) async fn open(args: &WorkspaceArgs) -> anyhow::Result<(Workspace, Context)> {
    let location = location(args);
    require_initialized(&location)?;
    let workspace = Workspace::open(location.clone())
        .await
        .with_context(|| format!("opening the workspace at {location}"))?;
    let actor = account::local_actor(&workspace).await?;
    Ok((workspace, Context::new(actor, jiff::Timestamp::now())))
}

/// Fails, saying how to create one, when a workspace directory has no database yet (opening
/// it would create an empty one).
pub(crate) fn require_initialized(location: &WorkspaceLocation) -> anyhow::Result<()> {
    if let WorkspaceLocation::Directory(dir) = location {
        let database = dir.join(aftercare_service::workspace::DATABASE_FILE);
        if !database.exists() {
            anyhow::bail!(
                "no workspace at {}: run `aftercare init --workspace {}` first",
                dir.display(),
                dir.display()
            );
        }
    }
    Ok(())
}

/// Reads a file, naming it in the error.
pub(crate) fn read_file(path: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}
