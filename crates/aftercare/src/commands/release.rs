//! `aftercare release add|list|show|diff|sbom`.

use std::io::Write;

use aftercare_api::inventory::{DiffDto, QualityDto, ReleaseDetailDto, ReleaseDto, WarningDto};
use aftercare_sbom::quality;
use aftercare_service::Workspace;
use aftercare_service::inventory::{self, SbomFile};
use aftercare_store::release::ReleaseRow;
use anyhow::Context as _;

use crate::Outcome;
use crate::cli::ReleaseCommand;
use crate::output::{Table, cell, emit};

pub(crate) async fn release_dtos(
    workspace: &Workspace,
    releases: &[ReleaseRow],
) -> anyhow::Result<Vec<ReleaseDto>> {
    let mut out = Vec::with_capacity(releases.len());
    for release in releases {
        let sbom = aftercare_service::inventory::release_sbom(workspace, release).await?;
        out.push(ReleaseDto::new(release, sbom.as_ref()));
    }
    Ok(out)
}

pub(crate) fn releases_table(releases: &[ReleaseDto]) -> String {
    let mut table = Table::new(&[
        "ID",
        "PRODUCT",
        "VERSION",
        "COMPONENTS",
        "SBOM",
        "WARNINGS",
        "CREATED",
    ]);
    for release in releases {
        table.row(vec![
            release.id.to_string(),
            release.product.clone(),
            release.version.clone(),
            release.component_count.to_string(),
            release
                .sbom
                .as_ref()
                .map(|s| format!("{} {}", s.format, s.spec_version))
                .unwrap_or_else(|| "-".into()),
            release
                .sbom
                .as_ref()
                .map(|s| s.warning_count.to_string())
                .unwrap_or_else(|| "-".into()),
            release.created_at.clone(),
        ]);
    }
    table.render()
}

pub(crate) async fn run(command: ReleaseCommand) -> anyhow::Result<Outcome> {
    match command {
        ReleaseCommand::Add {
            product,
            version,
            sbom,
            patch_for,
            workspace,
            format,
        } => {
            if !patch_for.is_empty() {
                return super::patch::add_patch_release(
                    &workspace,
                    &product,
                    &version,
                    sbom.as_deref(),
                    &patch_for,
                    format.format,
                )
                .await;
            }
            let (workspace, context) = super::open(&workspace).await?;
            let file = match &sbom {
                Some(path) => Some(SbomFile {
                    name: path.display().to_string(),
                    bytes: super::read_file(path)?,
                }),
                None => None,
            };
            let imported = aftercare_service::flow::import_release(
                &workspace,
                &context,
                &product,
                &version,
                file.as_ref(),
            )
            .await?;
            let outcome = &imported.import;
            if outcome.duplicate {
                eprintln!(
                    "{} {}: this SBOM (sha256 {}) is already imported; its components were \
                     matched again",
                    outcome.release.product_name,
                    outcome.release.version,
                    outcome
                        .sbom
                        .as_ref()
                        .map(|s| s.sha256.as_str())
                        .unwrap_or("-")
                );
            }
            let dto = aftercare_api::flow::ImportDto::from(&imported);
            emit(format.format, &dto, || {
                let matched = dto.matched.as_ref().map_or(String::new(), |m| {
                    format!(
                        "\nmatched {} components: {} finding{} opened, {} regulatory case{} opened \
                         (aftercare finding list --product {:?} --release {:?})\n",
                        m.components,
                        m.opened.len(),
                        if m.opened.len() == 1 { "" } else { "s" },
                        m.cases,
                        if m.cases == 1 { "" } else { "s" },
                        dto.release.product,
                        dto.release.version
                    )
                });
                format!(
                    "{}{}{matched}",
                    releases_table(std::slice::from_ref(&dto.release)),
                    super::sbom::warnings_table(&dto.warnings)
                )
            })?;
        }
        ReleaseCommand::List {
            product,
            workspace,
            format,
        } => {
            let (workspace, _) = super::open(&workspace).await?;
            let releases = inventory::releases(&workspace, product.as_deref()).await?;
            let dtos = release_dtos(&workspace, &releases).await?;
            emit(format.format, &dtos, || releases_table(&dtos))?;
        }
        ReleaseCommand::Show {
            product,
            version,
            workspace,
            format,
        } => {
            let (workspace, _) = super::open(&workspace).await?;
            let release = inventory::release(&workspace, &product, &version).await?;
            let dto = release_dtos(&workspace, std::slice::from_ref(&release))
                .await?
                .remove(0);
            let (quality_dto, warnings) = if dto.sbom.is_some() {
                let (sbom, _, warnings) = inventory::stored_sbom(&workspace, &release).await?;
                (
                    Some(QualityDto::from(&quality(&sbom))),
                    warnings.iter().map(WarningDto::from).collect(),
                )
            } else {
                (None, Vec::new())
            };
            let detail = ReleaseDetailDto {
                release: dto,
                quality: quality_dto,
                warnings,
            };
            emit(format.format, &detail, || {
                let mut out = releases_table(std::slice::from_ref(&detail.release));
                if let Some(sbom) = &detail.release.sbom {
                    out.push_str(&format!(
                        "\nsbom sha256: {}\nserial:      {}\ncreated:     {}\nauthors:     {}\ntools:       {}\n\n",
                        sbom.sha256,
                        cell(sbom.serial_number.as_deref()),
                        cell(sbom.created.as_deref()),
                        sbom.authors.join(", "),
                        sbom.tools.join(", "),
                    ));
                }
                if let Some(quality) = &detail.quality {
                    out.push_str(&super::sbom::quality_table(quality));
                }
                out.push_str(&super::sbom::warnings_table(&detail.warnings));
                out
            })?;
        }
        ReleaseCommand::Diff {
            product,
            old,
            new,
            new_product,
            workspace,
            format,
        } => {
            let (workspace, _) = super::open(&workspace).await?;
            let old_release = inventory::release(&workspace, &product, &old).await?;
            let new_release =
                inventory::release(&workspace, new_product.as_deref().unwrap_or(&product), &new)
                    .await?;
            let diff = inventory::diff_releases(&workspace, &old_release, &new_release).await?;
            let dto = DiffDto::from(&diff);
            emit(format.format, &dto, || super::sbom::diff_table(&dto))?;
        }
        ReleaseCommand::Support {
            product,
            version,
            addendum,
            workspace,
            format,
        } => {
            let (workspace, context) = super::open(&workspace).await?;
            let release = inventory::release(&workspace, &product, &version).await?;
            let file = SbomFile {
                name: addendum.display().to_string(),
                bytes: super::read_file(&addendum)?,
            };
            let outcome =
                inventory::apply_support_addendum(&workspace, &context, &release, &file).await?;
            let dto = aftercare_api::inventory::SupportOutcomeDto::from(&outcome);
            emit(format.format, &dto, || {
                format!(
                    "{} components changed\n{}",
                    dto.changed,
                    super::sbom::warnings_table(&dto.warnings)
                )
            })?;
        }
        ReleaseCommand::Sbom {
            product,
            version,
            output,
            workspace,
        } => {
            let (workspace, _) = super::open(&workspace).await?;
            let release = inventory::release(&workspace, &product, &version).await?;
            let document = inventory::sbom_document(&workspace, &release).await?;
            match output {
                Some(path) => std::fs::write(&path, &document.content)
                    .with_context(|| format!("cannot write {}", path.display()))?,
                None => {
                    let mut stdout = std::io::stdout().lock();
                    stdout.write_all(&document.content)?;
                    stdout.flush()?;
                }
            }
        }
    }
    Ok(Outcome::Ok)
}
