//! `aftercare demo`: a fictional device product line, imported into a fresh workspace and
//! served.

use aftercare_service::account::{self, Password};
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
    let banner = format!(
        "demo workspace {}: 2 products, {imported} releases; administrator `admin`, password `{}`",
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

/// A fresh random password for the demo administrator, printed once.
fn demo_password() -> Password {
    let digest = aftercare_model::Sha256::of(
        format!("{:?}{}", std::time::SystemTime::now(), std::process::id()).as_bytes(),
    );
    Password::new(format!("demo-{}", &digest.to_hex()[..16]))
}
