//! `aftercare artifact add|list` and `aftercare product trust-ca`: the files of a release that
//! devices download, and the update CA a product's `.swu` images are checked against.

use aftercare_api::artifact::{ArtifactDto, TrustedCaDto};
use aftercare_service::artifact;

use crate::Outcome;
use crate::cli::ArtifactCommand;
use crate::output::{Table, cell, emit};

pub(crate) async fn run(command: ArtifactCommand) -> anyhow::Result<Outcome> {
    match command {
        ArtifactCommand::Add {
            release,
            file,
            artifacts,
            workspace,
            format,
        } => {
            let (product, version) = super::patch::release_name(&release)?;
            let (workspace, context, principal) = super::open_as_admin(&workspace).await?;
            let workspace = workspace.with_artifact_dir(artifacts.artifact_dir);
            let row =
                artifact::add(&workspace, &context, &principal, product, version, &file).await?;
            let dto = ArtifactDto::from(&row);
            emit(format.format, &dto, || artifact_detail(&dto))?;
        }
        ArtifactCommand::List {
            release,
            workspace,
            format,
        } => {
            let (product, version) = super::patch::release_name(&release)?;
            let (workspace, _, principal) = super::open_as_admin(&workspace).await?;
            let dtos: Vec<ArtifactDto> = artifact::list(&workspace, &principal, product, version)
                .await?
                .iter()
                .map(ArtifactDto::from)
                .collect();
            emit(format.format, &dtos, || artifacts_table(&dtos))?;
        }
    }
    Ok(Outcome::Ok)
}

fn artifacts_table(list: &[ArtifactDto]) -> String {
    let mut table = Table::new(&["ID", "FILE", "SIZE", "SHA-256", "SIGNER"]);
    for artifact in list {
        table.row(vec![
            artifact.id.to_string(),
            artifact.filename.clone(),
            artifact.size.to_string(),
            artifact.sha256.clone(),
            cell(artifact.signer.as_deref()),
        ]);
    }
    table.render()
}

fn artifact_detail(artifact: &ArtifactDto) -> String {
    let mut table = Table::new(&["FIELD", "VALUE"]);
    let rows: Vec<(&str, String)> = vec![
        ("id", artifact.id.to_string()),
        ("file", artifact.filename.clone()),
        ("size", artifact.size.to_string()),
        ("sha256", artifact.sha256.clone()),
        ("sha1", artifact.sha1.clone()),
        ("md5", artifact.md5.clone()),
        ("signer", cell(artifact.signer.as_deref())),
        ("added by", artifact.created_by.clone()),
        ("added at", artifact.created_at.clone()),
    ];
    for (field, value) in rows {
        table.row(vec![field.to_string(), value]);
    }
    table.render()
}

/// `aftercare product trust-ca PRODUCT FILE.pem`.
pub(crate) async fn trust_ca(
    product: &str,
    file: &std::path::Path,
    workspace: &crate::cli::WorkspaceArgs,
    format: crate::cli::OutputFormat,
) -> anyhow::Result<Outcome> {
    let pem = super::read_file(file)?;
    let (workspace, context, principal) = super::open_as_admin(workspace).await?;
    let name = file.display().to_string();
    let trusted =
        artifact::trust_ca(&workspace, &context, &principal, product, &name, &pem).await?;
    let dto = TrustedCaDto::from(&trusted);
    emit(format, &dto, || {
        let mut table = Table::new(&["SUBJECT", "NOT AFTER", "SHA-256"]);
        for certificate in &dto.certificates {
            table.row(vec![
                certificate.subject.clone(),
                certificate.not_after.clone(),
                certificate.sha256.clone(),
            ]);
        }
        format!(
            "update CA of {} (from {}):\n{}",
            dto.product,
            dto.file,
            table.render()
        )
    })?;
    Ok(Outcome::Ok)
}
