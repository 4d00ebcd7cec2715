//! `aftercare feed …` and `aftercare vuln …`.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use aftercare_api::flow::SyncReportDto;
use aftercare_api::intel::{
    FeedDetailDto, FeedDto, VulnerabilityDto, VulnerabilityLookupDto, VulnerabilityPageDto,
    VulnerabilitySummaryDto,
};
use aftercare_service::access::auth::Secret;
use aftercare_service::intel::feed::{self, NewFeedRequest};
use aftercare_service::intel::lookup::{self, SearchQuery};
use aftercare_service::intel::sync::{self, Progress, SyncOptions};
use aftercare_service::intel::{FeedKind, defaults};
use anyhow::Context as _;

use crate::Outcome;
use crate::cli::{FeedCommand, FeedKindArg, OutputFormat, SyncArgs, VulnCommand};
use crate::output::{Table, cell, emit};

fn kind(arg: FeedKindArg) -> FeedKind {
    match arg {
        FeedKindArg::Osv => FeedKind::Osv,
        FeedKindArg::Nvd => FeedKind::Nvd,
        FeedKindArg::Cve5 => FeedKind::Cve5,
        FeedKindArg::Kev => FeedKind::Kev,
        FeedKindArg::Epss => FeedKind::Epss,
        FeedKindArg::Csaf => FeedKind::Csaf,
    }
}

/// Sync options from the command line.
pub(crate) fn sync_options(args: &SyncArgs) -> anyhow::Result<SyncOptions> {
    let delay = match args.nvd_request_delay {
        Some(seconds) if seconds.is_finite() && seconds >= 0.0 => {
            Some(Duration::from_secs_f64(seconds))
        }
        Some(_) => anyhow::bail!("--nvd-request-delay takes a number of seconds, 0 or more"),
        None => None,
    };
    Ok(SyncOptions {
        batch_records: args.batch_records.max(1),
        nvd_api_key: args
            .nvd_api_key
            .as_ref()
            .map(|key| Secret::new(key.0.clone())),
        nvd_request_delay: delay,
        http_timeout: Duration::from_secs(args.http_timeout.max(1)),
        // The shell owns the wall clock: the lease of a long sync and the instant it ends
        // follow it (the sync's rows carry its use case's instant).
        clock: jiff::Timestamp::now,
        ..SyncOptions::default()
    })
}

/// `6h`, `30m`, `90s`, `2d` or a number of seconds; `0` or `off` for never.
pub(crate) fn parse_interval(text: &str) -> anyhow::Result<Option<Duration>> {
    let text = text.trim();
    if text == "0" || text.eq_ignore_ascii_case("off") || text.eq_ignore_ascii_case("never") {
        return Ok(None);
    }
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let number: u64 = number
        .parse()
        .with_context(|| format!("invalid interval {text:?}: use 6h, 30m, 90s or 0"))?;
    let seconds = match unit {
        "s" => number,
        "m" => number * 60,
        "h" => number * 3_600,
        "d" => number * 86_400,
        _ => anyhow::bail!("invalid interval {text:?}: use 6h, 30m, 90s or 0"),
    };
    Ok((seconds > 0).then(|| Duration::from_secs(seconds)))
}

/// A progress line on standard error: records, rate and documents, redrawn at most ten times
/// a second; silent when standard error is not a terminal.
struct TerminalProgress {
    started: Instant,
    last: Mutex<Option<Instant>>,
}

impl TerminalProgress {
    fn new() -> TerminalProgress {
        TerminalProgress {
            started: Instant::now(),
            last: Mutex::new(None),
        }
    }

    fn done(&self) {
        let mut stderr = std::io::stderr().lock();
        let _ = write!(stderr, "\r\x1b[2K");
        let _ = stderr.flush();
    }
}

impl Progress for TerminalProgress {
    fn advanced(&self, feed: &str, documents: i64, records: i64) {
        let now = Instant::now();
        if let Ok(mut last) = self.last.lock() {
            if last.is_some_and(|at| now.duration_since(at) < Duration::from_millis(100)) {
                return;
            }
            *last = Some(now);
        }
        let seconds = self.started.elapsed().as_secs_f64().max(0.001);
        let mut stderr = std::io::stderr().lock();
        let _ = write!(
            stderr,
            "\r\x1b[2K{feed}: {records} records ({:.0}/s), {documents} documents",
            records as f64 / seconds
        );
        let _ = stderr.flush();
    }
}

fn report_line(report: &SyncReportDto) -> String {
    let matched = report.matched.as_ref().map_or(String::new(), |m| {
        format!(
            "; findings re-matched over {} components: {} opened, {} reopened, {} changed, {} closed",
            m.components,
            m.opened.len(),
            m.reopened.len(),
            m.changed.len(),
            m.closed.len()
        )
    });
    format!(
        "{}: {}{} — {} new, {} updated, {} withdrawn, {} unchanged, {} warnings ({} documents, {:.1} s){matched}",
        report.feed,
        report.status,
        if report.resumed { " (resumed)" } else { "" },
        report.new,
        report.updated,
        report.withdrawn,
        report.unchanged,
        report.warning_count,
        report.documents,
        report.elapsed_ms as f64 / 1_000.0
    )
}

pub(crate) async fn feed(command: FeedCommand) -> anyhow::Result<Outcome> {
    match command {
        FeedCommand::Add {
            name,
            kind: kind_arg,
            url,
            path,
            ecosystem,
            workspace,
            format,
        } => {
            let (workspace, context, principal) = super::open_as_admin(&workspace).await?;
            let created = feed::add(
                &workspace,
                &context,
                &principal,
                &NewFeedRequest {
                    name,
                    kind: kind(kind_arg),
                    url,
                    path: path.map(|p| p.display().to_string()),
                    ecosystem,
                },
            )
            .await?;
            let status = feed::list(&workspace)
                .await?
                .into_iter()
                .find(|status| status.feed.id == created.id)
                .ok_or_else(|| anyhow::anyhow!("the feed vanished"))?;
            let dto = FeedDto::from(&status);
            emit(format.format, &dto, || {
                format!(
                    "added feed {} ({}) from {}\n",
                    dto.name,
                    dto.kind,
                    dto.path
                        .clone()
                        .or(dto.effective_url.clone())
                        .unwrap_or_default()
                )
            })?;
        }
        FeedCommand::List { workspace, format } => {
            let (workspace, _) = super::open(&workspace).await?;
            let feeds: Vec<FeedDto> = feed::list(&workspace)
                .await?
                .iter()
                .map(FeedDto::from)
                .collect();
            emit(format.format, &feeds, || {
                let mut table = Table::new(&[
                    "NAME",
                    "KIND",
                    "SOURCE",
                    "LAST SYNC",
                    "STATUS",
                    "NEW",
                    "UPDATED",
                    "WITHDRAWN",
                    "UNCHANGED",
                    "WARNINGS",
                ]);
                for feed in &feeds {
                    let run = feed.last_run.as_ref();
                    let number =
                        |value: Option<i64>| value.map_or("-".to_string(), |v| v.to_string());
                    table.row(vec![
                        feed.name.clone(),
                        feed.kind.clone(),
                        cell(feed.path.as_deref().or(feed.effective_url.as_deref())),
                        cell(feed.last_success_at.as_deref()),
                        cell(feed.last_status.as_deref()),
                        number(run.map(|r| r.new)),
                        number(run.map(|r| r.updated)),
                        number(run.map(|r| r.withdrawn)),
                        number(run.map(|r| r.unchanged)),
                        number(run.map(|r| r.warnings)),
                    ]);
                }
                if table.is_empty() {
                    "no feeds: add one with `aftercare feed add NAME --kind …`\n".to_string()
                } else {
                    table.render()
                }
            })?;
        }
        FeedCommand::Show {
            name,
            workspace,
            format,
        } => {
            let (workspace, _) = super::open(&workspace).await?;
            let detail = FeedDetailDto::from(&feed::show(&workspace, &name).await?);
            emit(format.format, &detail, || {
                let feed = &detail.feed;
                let mut out = format!(
                    "feed {} ({})\nsource: {}\nadded {} by {}\nlast sync: {} ({})\n",
                    feed.name,
                    feed.kind,
                    feed.path
                        .clone()
                        .or(feed.effective_url.clone())
                        .unwrap_or_default(),
                    feed.created_at,
                    feed.created_by,
                    feed.last_success_at.as_deref().unwrap_or("never"),
                    feed.last_status.as_deref().unwrap_or("-"),
                );
                if let Some(error) = &feed.last_error {
                    out.push_str(&format!("last error: {error}\n"));
                }
                out.push('\n');
                let mut table = Table::new(&[
                    "RUN",
                    "STARTED",
                    "STATUS",
                    "ACTOR",
                    "NEW",
                    "UPDATED",
                    "WITHDRAWN",
                    "UNCHANGED",
                    "WARNINGS",
                    "ATTEMPTS",
                ]);
                for run in &detail.runs {
                    table.row(vec![
                        run.id.to_string(),
                        run.started_at.clone(),
                        run.status.clone(),
                        run.actor.clone(),
                        run.new.to_string(),
                        run.updated.to_string(),
                        run.withdrawn.to_string(),
                        run.unchanged.to_string(),
                        run.warnings.to_string(),
                        run.attempts.to_string(),
                    ]);
                }
                out.push_str(&table.render());
                if !detail.warnings.is_empty() {
                    out.push_str(&format!(
                        "\nwarnings of the last run ({}):\n",
                        detail.warnings.len()
                    ));
                    for warning in &detail.warnings {
                        match &warning.record {
                            Some(record) => out.push_str(&format!(
                                "  {} ({record}): {}\n",
                                warning.document, warning.message
                            )),
                            None => out.push_str(&format!(
                                "  {}: {}\n",
                                warning.document, warning.message
                            )),
                        }
                    }
                }
                out
            })?;
        }
        FeedCommand::Sync {
            names,
            sync: sync_args,
            workspace,
            format,
        } => {
            let (workspace, context, principal) = super::open_as_admin(&workspace).await?;
            let mut options = sync_options(&sync_args)?;
            if sync_args.nvd_api_key.is_none()
                && let Ok(key) = std::env::var(defaults::NVD_API_KEY_ENV)
                && !key.is_empty()
            {
                options.nvd_api_key = Some(Secret::new(key));
            }
            let names = if names.is_empty() {
                feed::list(&workspace)
                    .await?
                    .into_iter()
                    .map(|status| status.feed.name)
                    .collect()
            } else {
                names
            };
            let show_progress =
                format.format == OutputFormat::Table && std::io::stderr().is_terminal();
            let mut reports = Vec::new();
            let mut failures = Vec::new();
            for name in &names {
                let progress = TerminalProgress::new();
                let result = if show_progress {
                    aftercare_service::flow::sync(
                        &workspace, &context, &principal, name, &options, &progress,
                    )
                    .await
                } else {
                    aftercare_service::flow::sync(
                        &workspace,
                        &context,
                        &principal,
                        name,
                        &options,
                        &sync::NoProgress,
                    )
                    .await
                };
                if show_progress {
                    progress.done();
                }
                match result {
                    Ok(report) => {
                        let dto = SyncReportDto::from(&report);
                        if format.format == OutputFormat::Table {
                            println!("{}", report_line(&dto));
                            for warning in dto.warnings.iter().take(10) {
                                eprintln!("  warning: {}: {}", warning.document, warning.message);
                            }
                        }
                        reports.push(dto);
                    }
                    Err(error) => {
                        eprintln!("error: {name}: {error}");
                        let mut source = std::error::Error::source(&error);
                        while let Some(cause) = source {
                            eprintln!("  caused by: {cause}");
                            source = cause.source();
                        }
                        failures.push(name.clone());
                    }
                }
            }
            if format.format == OutputFormat::Json {
                emit(format.format, &reports, String::new)?;
            }
            if !failures.is_empty() {
                anyhow::bail!(
                    "{} of {} feeds failed to sync: {}",
                    failures.len(),
                    names.len(),
                    failures.join(", ")
                );
            }
        }
        FeedCommand::Remove { name, workspace } => {
            let (workspace, context, principal) = super::open_as_admin(&workspace).await?;
            feed::remove(&workspace, &context, &principal, &name).await?;
            eprintln!("removed feed {name} (its records stay)");
        }
    }
    Ok(Outcome::Ok)
}

fn vulnerability_text(v: &VulnerabilityDto) -> String {
    let mut out = format!(
        "{} (vulnerability {}{})\n",
        v.canonical,
        v.id,
        if v.withdrawn { ", withdrawn" } else { "" }
    );
    if let Some(from) = v.redirected_from {
        out.push_str(&format!(
            "(vulnerability {from} was merged into this one)\n"
        ));
    }
    if let Some(summary) = &v.summary {
        out.push_str(&format!("{summary}\n"));
    }
    out.push_str(&format!("ids: {}\n", v.ids.join(", ")));
    if !v.shared_ids.is_empty() {
        out.push_str(&format!(
            "shared with other vulnerabilities: {}\n",
            v.shared_ids.join(", ")
        ));
    }
    if !v.related.is_empty() {
        out.push_str(&format!("related: {}\n", v.related.join(", ")));
    }
    out.push_str(&format!(
        "published: {}  modified: {}  severity: {}\n",
        v.published.as_deref().unwrap_or("-"),
        v.modified.as_deref().unwrap_or("-"),
        v.severity.as_deref().unwrap_or("unknown")
    ));
    match &v.kev {
        Some(kev) => out.push_str(&format!(
            "KEV: listed since {} (due {}), ransomware use: {}; {}\n",
            kev.date_added.as_deref().unwrap_or("-"),
            kev.due_date.as_deref().unwrap_or("-"),
            kev.ransomware.as_deref().unwrap_or("-"),
            kev.required_action.as_deref().unwrap_or("")
        )),
        None => out.push_str("KEV: not listed\n"),
    }
    match &v.epss {
        Some(epss) => {
            out.push_str(&format!(
                "EPSS: {:.5} (percentile {:.5}) on {}",
                epss.epss, epss.percentile, epss.score_date
            ));
            if v.epss_history.len() > 1 {
                let history: Vec<String> = v
                    .epss_history
                    .iter()
                    .map(|h| format!("{} {:.5}", h.score_date, h.epss))
                    .collect();
                out.push_str(&format!("; history: {}", history.join(", ")));
            }
            out.push('\n');
        }
        None => out.push_str("EPSS: no score\n"),
    }
    out.push_str(&format!("\nrecords ({}):\n", v.records.len()));
    for record in &v.records {
        out.push_str(&format!(
            "- {}:{} from feed {} (modified {}{})\n",
            record.source,
            record.id,
            record.feed,
            record.modified.as_deref().unwrap_or("-"),
            if record.withdrawn { ", withdrawn" } else { "" }
        ));
        if let Some(summary) = record.summary.as_deref().or(record.description.as_deref()) {
            let line: String = summary.chars().take(160).collect();
            out.push_str(&format!("    {line}\n"));
        }
        if let Some(ratings) = record.ratings.as_array() {
            for rating in ratings.iter().take(6) {
                let text = |key: &str| rating.get(key).and_then(|v| v.as_str()).unwrap_or("");
                let score = rating
                    .get("base_score")
                    .and_then(|v| v.as_f64())
                    .map(|s| format!(" {s:.1}"))
                    .unwrap_or_default();
                out.push_str(&format!(
                    "    score: {}{} {} {}\n",
                    text("system"),
                    score,
                    text("severity"),
                    text("vector")
                ));
            }
        }
        for affected in record.affected.iter().take(12) {
            out.push_str(&format!(
                "    affects {} {}{}\n",
                affected.kind,
                affected.name,
                if affected.detail.is_empty() {
                    String::new()
                } else {
                    format!(": {}", affected.detail)
                }
            ));
        }
        if record.affected.len() > 12 {
            out.push_str(&format!("    … and {} more\n", record.affected.len() - 12));
        }
    }
    out
}

pub(crate) async fn vuln(command: VulnCommand) -> anyhow::Result<Outcome> {
    match command {
        VulnCommand::Show {
            id,
            workspace,
            format,
        } => {
            let (workspace, _) = super::open(&workspace).await?;
            let found = lookup::show(&workspace, None, &id).await?;
            let dto = VulnerabilityLookupDto {
                query: id,
                vulnerabilities: found.iter().map(VulnerabilityDto::from).collect(),
            };
            emit(format.format, &dto, || {
                let mut out = String::new();
                if dto.vulnerabilities.len() > 1 {
                    out.push_str(&format!(
                        "{} names {} vulnerabilities (it aliases several CVEs):\n\n",
                        dto.query,
                        dto.vulnerabilities.len()
                    ));
                }
                let texts: Vec<String> =
                    dto.vulnerabilities.iter().map(vulnerability_text).collect();
                out.push_str(&texts.join("\n"));
                out
            })?;
        }
        VulnCommand::Search {
            text,
            kev,
            epss_above,
            ecosystem,
            package,
            published_since,
            include_withdrawn,
            offset,
            limit,
            workspace,
            format,
        } => {
            let (workspace, _) = super::open(&workspace).await?;
            let page = lookup::search(
                &workspace,
                &SearchQuery {
                    text,
                    kev,
                    epss_above,
                    ecosystem,
                    package,
                    published_since,
                    include_withdrawn,
                    offset,
                    limit,
                },
            )
            .await?;
            let dto = VulnerabilityPageDto {
                items: page
                    .items
                    .iter()
                    .map(VulnerabilitySummaryDto::from)
                    .collect(),
                total: page.total,
                offset,
                limit,
            };
            emit(format.format, &dto, || {
                let mut table = Table::new(&[
                    "ID",
                    "VULNERABILITY",
                    "PUBLISHED",
                    "SEVERITY",
                    "KEV",
                    "EPSS",
                    "SUMMARY",
                ]);
                for item in &dto.items {
                    table.row(vec![
                        item.id.to_string(),
                        item.canonical.clone(),
                        cell(item.published.as_deref().map(|p| p.get(..10).unwrap_or(p))),
                        cell(item.severity.as_deref()),
                        if item.kev { "yes".into() } else { "-".into() },
                        item.epss.map_or("-".to_string(), |e| format!("{e:.3}")),
                        item.summary
                            .as_deref()
                            .map(|s| s.chars().take(70).collect())
                            .unwrap_or_default(),
                    ]);
                }
                format!(
                    "{}{} of {} shown\n",
                    table.render(),
                    dto.items.len(),
                    dto.total
                )
            })?;
        }
    }
    Ok(Outcome::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals() {
        for (text, expected) in [
            ("6h", Some(21_600)),
            ("30m", Some(1_800)),
            ("90s", Some(90)),
            ("120", Some(120)),
            ("2d", Some(172_800)),
            ("0", None),
            ("off", None),
        ] {
            assert_eq!(
                parse_interval(text).unwrap().map(|d| d.as_secs()),
                expected,
                "{text}"
            );
        }
        assert!(parse_interval("6 hours").is_err());
    }
}
