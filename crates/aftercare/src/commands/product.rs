//! `aftercare product add|list|show|trust-ca`.

use aftercare_api::inventory::{ProductDetailDto, ProductDto};
use aftercare_service::inventory;

use crate::Outcome;
use crate::cli::ProductCommand;
use crate::output::{Table, cell, emit};

pub(crate) async fn run(command: ProductCommand) -> anyhow::Result<Outcome> {
    match command {
        ProductCommand::Add {
            name,
            description,
            workspace,
            format,
        } => {
            let (workspace, context) = super::open(&workspace).await?;
            let created =
                inventory::add_product(&workspace, &context, &name, description.as_deref()).await?;
            let dto = ProductDto::from(&created);
            emit(format.format, &dto, || {
                products_table(std::slice::from_ref(&dto))
            })?;
        }
        ProductCommand::List { workspace, format } => {
            let (workspace, _) = super::open(&workspace).await?;
            let products: Vec<ProductDto> = inventory::products(&workspace)
                .await?
                .iter()
                .map(ProductDto::from)
                .collect();
            emit(format.format, &products, || products_table(&products))?;
        }
        ProductCommand::Show {
            name,
            workspace,
            format,
        } => {
            let (workspace, _) = super::open(&workspace).await?;
            let product = inventory::product(&workspace, &name).await?;
            let releases = super::release::release_dtos(
                &workspace,
                &inventory::releases(&workspace, Some(&name)).await?,
            )
            .await?;
            let detail = ProductDetailDto {
                product: ProductDto::from(&product),
                releases,
            };
            emit(format.format, &detail, || {
                format!(
                    "{}\n{}",
                    products_table(std::slice::from_ref(&detail.product)),
                    super::release::releases_table(&detail.releases)
                )
            })?;
        }
        ProductCommand::TrustCa {
            product,
            file,
            workspace,
            format,
        } => {
            return super::artifact::trust_ca(&product, &file, &workspace, format.format).await;
        }
    }
    Ok(Outcome::Ok)
}

fn products_table(products: &[ProductDto]) -> String {
    let mut table = Table::new(&["ID", "NAME", "RELEASES", "DESCRIPTION"]);
    for product in products {
        table.row(vec![
            product.id.to_string(),
            product.name.clone(),
            product.release_count.to_string(),
            cell(product.description.as_deref()),
        ]);
    }
    table.render()
}
