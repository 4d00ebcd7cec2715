//! `aftercare finding …` and `aftercare match`.

use aftercare_server::dto::{FindingDetailDto, FindingDto, FindingPageDto, MatchReportDto};
use aftercare_service::finding::{self, FindingQuery, MatchScope};

use crate::Outcome;
use crate::cli::{FindingCommand, MatchArgs};
use crate::output::{Table, cell, emit};

pub(crate) async fn run(command: FindingCommand) -> anyhow::Result<Outcome> {
    match command {
        FindingCommand::List {
            product,
            release,
            severity,
            kev,
            state,
            vulnerability,
            search,
            offset,
            limit,
            workspace,
            format,
        } => {
            let (workspace, _) = super::open(&workspace).await?;
            let query = FindingQuery {
                product,
                release,
                severities: severity,
                kev: kev.then_some(true),
                state: Some(state),
                vulnerability,
                search,
                offset,
                limit,
            };
            let page = finding::list(&workspace, &query).await?;
            let dto = FindingPageDto {
                items: page.findings.iter().map(FindingDto::from).collect(),
                total: page.total,
                offset,
                limit,
            };
            emit(format.format, &dto, || list_table(&dto))?;
        }
        FindingCommand::Show {
            id,
            workspace,
            format,
        } => {
            let (workspace, _) = super::open(&workspace).await?;
            let detail = finding::show(&workspace, id).await?;
            let dto = FindingDetailDto::from(&detail);
            emit(format.format, &dto, || show_text(&dto))?;
        }
    }
    Ok(Outcome::Ok)
}

fn list_table(page: &FindingPageDto) -> String {
    let mut table = Table::new(&[
        "ID",
        "SEVERITY",
        "KEV",
        "VULNERABILITY",
        "PRODUCT",
        "RELEASE",
        "COMPONENT",
        "VERSION",
        "FIXED IN",
        "STATE",
        "FIRST SEEN",
    ]);
    for f in &page.items {
        table.row(vec![
            f.id.to_string(),
            f.severity.clone(),
            if f.kev { "KEV".into() } else { "-".into() },
            f.vulnerability.id.clone(),
            f.product.clone(),
            f.release.clone(),
            f.component.name.clone(),
            cell(f.component.version.as_deref()),
            if f.fixed_versions.is_empty() {
                "-".into()
            } else {
                f.fixed_versions.join(", ")
            },
            f.state.clone(),
            f.first_seen.get(..10).unwrap_or(&f.first_seen).to_string(),
        ]);
    }
    let shown = page.items.len();
    let mut out = table.render();
    out.push_str(&format!(
        "\n{shown} of {} finding{}",
        page.total,
        if page.total == 1 { "" } else { "s" }
    ));
    if i64::try_from(shown).unwrap_or(i64::MAX) + page.offset < page.total {
        out.push_str(&format!(
            " (more with --offset {})",
            page.offset + i64::try_from(shown).unwrap_or(0)
        ));
    }
    out.push('\n');
    out
}

fn show_text(detail: &FindingDetailDto) -> String {
    let f = &detail.finding;
    let mut out = format!(
        "finding {}: {} in {} {} ({} {})\n",
        f.id,
        f.vulnerability.id,
        f.component.name,
        f.component.version.as_deref().unwrap_or("(no version)"),
        f.product,
        f.release
    );
    if !f.vulnerability.aliases.is_empty() {
        out.push_str(&format!(
            "also known as  {}\n",
            f.vulnerability.aliases.join(", ")
        ));
    }
    if let Some(summary) = &f.vulnerability.summary {
        out.push_str(&format!("summary        {summary}\n"));
    }
    if let Some(purl) = &f.component.purl {
        out.push_str(&format!("purl           {purl}\n"));
    }
    let basis = match f.severity_basis.get("source").and_then(|s| s.as_str()) {
        Some("cvss") => format!(
            " (CVSS {} {} from {})",
            f.severity_basis["version"].as_str().unwrap_or("?"),
            f.severity_basis["vector"].as_str().unwrap_or("?"),
            f.severity_basis["record"].as_str().unwrap_or("?")
        ),
        Some("label") => format!(
            " (label {:?} from {})",
            f.severity_basis["label"].as_str().unwrap_or("?"),
            f.severity_basis["record"].as_str().unwrap_or("?")
        ),
        _ => String::new(),
    };
    out.push_str(&format!(
        "severity       {}{}{basis}\n",
        f.severity,
        f.score.map(|s| format!(" {s:.1}")).unwrap_or_default()
    ));
    out.push_str(&format!(
        "KEV            {}\n",
        if f.kev { "yes" } else { "no" }
    ));
    out.push_str(&format!(
        "fixed in       {}\n",
        if f.fixed_versions.is_empty() {
            "(no fixed version known)".to_string()
        } else {
            f.fixed_versions.join(", ")
        }
    ));
    out.push_str(&format!("confidence     {}\n", f.confidence));
    out.push_str(&format!("state          {}", f.state));
    if let Some(reason) = &f.close_reason {
        out.push_str(&format!(
            " since {}: {reason}",
            f.closed_at.as_deref().unwrap_or("?")
        ));
    }
    out.push('\n');
    out.push_str(&format!(
        "first seen     {} (awareness)\nlast seen      {}\n",
        f.first_seen, f.last_seen
    ));
    out.push_str("\nwhy it matched\n");
    for reason in &f.reasons {
        out.push_str(&format!(
            "  {} [{}]\n",
            reason["text"].as_str().unwrap_or("?"),
            reason["confidence"].as_str().unwrap_or("?")
        ));
    }
    out.push_str("\nhistory\n");
    for event in &detail.history {
        let detail = match event.kind.as_str() {
            "closed" => event.detail["reason"].as_str().unwrap_or("").to_string(),
            _ => String::new(),
        };
        out.push_str(&format!(
            "  {}  {:<10} {}  {detail}\n",
            event.at, event.kind, event.actor
        ));
    }
    out
}

pub(crate) async fn rematch(args: MatchArgs) -> anyhow::Result<Outcome> {
    let (workspace, context) = super::open(&args.workspace).await?;
    let now = jiff::Timestamp::now();
    let mut total = MatchReportDto {
        components: 0,
        records: 0,
        opened: Vec::new(),
        reopened: Vec::new(),
        changed: Vec::new(),
        closed: Vec::new(),
        confirmed: 0,
        cases: 0,
        elapsed_ms: 0,
    };
    let releases = match (&args.product, &args.release) {
        (Some(product), Some(version)) => {
            vec![aftercare_service::inventory::release(&workspace, product, version).await?]
        }
        (Some(product), None) => {
            aftercare_service::inventory::releases(&workspace, Some(product)).await?
        }
        _ => Vec::new(),
    };
    let mut reports = Vec::new();
    if args.product.is_none() {
        reports.push(finding::rematch(&workspace, &context, MatchScope::All, now).await?);
    } else {
        for release in releases {
            reports.push(
                finding::rematch(&workspace, &context, MatchScope::Release(release.id), now)
                    .await?,
            );
        }
    }
    for report in &reports {
        let dto = MatchReportDto::from(report);
        total.components += dto.components;
        total.records = total.records.max(dto.records);
        total.opened.extend(dto.opened);
        total.reopened.extend(dto.reopened);
        total.changed.extend(dto.changed);
        total.closed.extend(dto.closed);
        total.confirmed += dto.confirmed;
        total.cases += dto.cases;
        total.elapsed_ms += dto.elapsed_ms;
    }
    emit(args.format.format, &total, || {
        format!(
            "matched {} components against {} records in {} ms: {} opened, {} reopened, {} changed, \
             {} closed, {} unchanged; {} regulatory case{} opened\n",
            total.components,
            total.records,
            total.elapsed_ms,
            total.opened.len(),
            total.reopened.len(),
            total.changed.len(),
            total.closed.len(),
            total.confirmed,
            total.cases,
            if total.cases == 1 { "" } else { "s" }
        )
    })?;
    Ok(Outcome::Ok)
}
