//! `aftercare component list`.

use aftercare_api::inventory::{ComponentDto, ComponentPageDto};
use aftercare_service::Workspace;
use aftercare_service::inventory;
use aftercare_store::release::ReleaseRow;

use crate::Outcome;
use crate::cli::ComponentCommand;
use crate::output::{Table, cell, emit};

/// Finds a release named `PRODUCT@VERSION` or by its numeric id.
pub(crate) async fn find_release(
    workspace: &Workspace,
    selector: &str,
) -> anyhow::Result<ReleaseRow> {
    if let Some((product, version)) = selector.rsplit_once('@') {
        return Ok(inventory::release(workspace, product, version).await?);
    }
    match selector.trim().parse::<i64>() {
        Ok(id) => Ok(inventory::release_by_id(workspace, id).await?),
        Err(_) => anyhow::bail!(
            "cannot find release {selector:?}: name it as PRODUCT@VERSION or by its numeric id"
        ),
    }
}

pub(crate) async fn run(command: ComponentCommand) -> anyhow::Result<Outcome> {
    match command {
        ComponentCommand::List {
            release,
            search,
            offset,
            limit,
            workspace,
            format,
        } => {
            let (workspace, _) = super::open(&workspace).await?;
            let release = find_release(&workspace, &release).await?;
            let (items, total) =
                inventory::components(&workspace, &release, search.as_deref(), offset, limit)
                    .await?;
            let page = ComponentPageDto {
                items: items
                    .iter()
                    .map(|c| ComponentDto::from_record(c, None))
                    .collect(),
                total,
                offset,
                limit,
            };
            emit(format.format, &page, || {
                let mut table =
                    Table::new(&["NAME", "VERSION", "PURL", "SUPPLIER", "LICENSE", "DIRECT"]);
                for component in &page.items {
                    table.row(vec![
                        match &component.group {
                            Some(group) => format!("{group}/{}", component.name),
                            None => component.name.clone(),
                        },
                        cell(component.version.as_deref()),
                        cell(component.purl.as_deref()),
                        cell(component.supplier.as_deref()),
                        cell(component.licenses.as_deref()),
                        match component.direct {
                            Some(true) => "direct".into(),
                            Some(false) => "transitive".into(),
                            None => "-".into(),
                        },
                    ]);
                }
                format!(
                    "{}\n{} of {} components\n",
                    table.render(),
                    page.items.len(),
                    page.total
                )
            })?;
        }
    }
    Ok(Outcome::Ok)
}
