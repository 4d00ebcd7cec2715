//! `aftercare rollout …`: staged rollouts of an approved patch release over DDI.
//!
//! `status --watch` redraws the rollout every 2 seconds on a terminal (a live progress view
//! with one bar per wave) until it finishes or is canceled; elsewhere it prints once.

use std::io::{IsTerminal as _, Write as _};

use aftercare_api::rollout::RolloutDto;
use aftercare_service::{flow, rollout};

use super::patch::release_name;
use crate::Outcome;
use crate::cli::{OutputFormat, RolloutCommand};
use crate::output::{Table, emit};

pub(crate) async fn run(command: RolloutCommand) -> anyhow::Result<Outcome> {
    match command {
        RolloutCommand::Create {
            name,
            release,
            filter,
            waves,
            wave_lists,
            rest,
            success_threshold,
            error_threshold,
            update_type,
            window,
            hold_after,
            dynamic,
            forced_at,
            rollback,
            workspace,
            format,
        } => {
            let (workspace, context, principal) = super::open_as_admin(&workspace).await?;
            let (product, version) = release_name(&release)?;
            let new = rollout::NewRollout {
                name,
                product: product.to_string(),
                version: version.to_string(),
                filter,
                waves,
                wave_lists: wave_lists
                    .iter()
                    .map(|list| {
                        list.split(',')
                            .map(str::trim)
                            .filter(|id| !id.is_empty())
                            .map(str::to_string)
                            .collect()
                    })
                    .collect(),
                rest,
                success: success_threshold,
                error: error_threshold,
                update_type,
                window,
                holds_after: hold_after,
                dynamic,
                forced_at,
                rollback,
            };
            let view = rollout::create(&workspace, &context, &principal, &new).await?;
            let dto = RolloutDto::from(&view);
            emit(format.format, &dto, || detail(&dto))?;
        }
        RolloutCommand::Start {
            name,
            workspace,
            format,
        } => {
            let (workspace, context, principal) = super::open_as_admin(&workspace).await?;
            flow::start_rollout(&workspace, &context, &principal, &name).await?;
            show(&workspace, &principal, &name, format.format).await?;
        }
        RolloutCommand::Pause {
            name,
            reason,
            workspace,
            format,
        } => {
            let (workspace, context, principal) = super::open_as_admin(&workspace).await?;
            rollout::pause(&workspace, &context, &principal, &name, &reason).await?;
            show(&workspace, &principal, &name, format.format).await?;
        }
        RolloutCommand::Resume {
            name,
            workspace,
            format,
        } => {
            let (workspace, context, principal) = super::open_as_admin(&workspace).await?;
            flow::resume_rollout(&workspace, &context, &principal, &name).await?;
            show(&workspace, &principal, &name, format.format).await?;
        }
        RolloutCommand::Cancel {
            name,
            reason,
            workspace,
            format,
        } => {
            let (workspace, context, principal) = super::open_as_admin(&workspace).await?;
            rollout::cancel(&workspace, &context, &principal, &name, &reason).await?;
            show(&workspace, &principal, &name, format.format).await?;
        }
        RolloutCommand::Decide {
            name,
            go,
            no_go,
            signer,
            reason,
            workspace,
            format,
        } => {
            let (workspace, context, principal, mut request) =
                super::triage::as_signer(&workspace, &signer).await?;
            request.reason = reason;
            flow::decide_rollout(
                &workspace,
                &context,
                &principal,
                &name,
                go && !no_go,
                &request,
            )
            .await?;
            show(&workspace, &principal, &name, format.format).await?;
        }
        RolloutCommand::RetryFailed {
            name,
            workspace,
            format,
        } => {
            let (workspace, context, principal) = super::open_as_admin(&workspace).await?;
            let (_, offered) =
                rollout::retry_failed(&workspace, &context, &principal, &name).await?;
            eprintln!("{offered} failed device(s) offered the release again");
            show(&workspace, &principal, &name, format.format).await?;
        }
        RolloutCommand::Status {
            name,
            watch,
            workspace,
            format,
        } => {
            let (workspace, _, principal) = super::open_as_admin(&workspace).await?;
            let live =
                watch && format.format == OutputFormat::Table && std::io::stdout().is_terminal();
            if !live {
                show(&workspace, &principal, &name, format.format).await?;
            } else {
                loop {
                    let view = rollout::show(&workspace, &principal, &name).await?;
                    let dto = RolloutDto::from(&view);
                    let mut stdout = std::io::stdout().lock();
                    // Clear the screen and go home, then draw.
                    write!(stdout, "\x1b[2J\x1b[H{}", detail(&dto))?;
                    stdout.flush()?;
                    drop(stdout);
                    if matches!(dto.state.as_str(), "finished" | "canceled") {
                        break;
                    }
                    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
                }
            }
        }
        RolloutCommand::Health {
            name,
            metric,
            max_ratio,
            max_z,
            lower_is_worse,
            soak,
            min_devices,
            min_samples,
            clear,
            workspace,
        } => {
            let (workspace, context, principal) = super::open_as_admin(&workspace).await?;
            let rule = match metric {
                Some(metric) if !clear => {
                    let soak: jiff::Span = soak
                        .parse()
                        .map_err(|error| anyhow::anyhow!("--soak {soak:?}: {error}"))?;
                    let soak = jiff::SignedDuration::try_from(soak)
                        .map_err(|error| anyhow::anyhow!("--soak: {error}"))?;
                    Some(aftercare_fleet::health::HealthRule {
                        max_ratio,
                        max_z,
                        worse: if lower_is_worse {
                            aftercare_fleet::health::Worse::Lower
                        } else {
                            aftercare_fleet::health::Worse::Higher
                        },
                        soak,
                        min_devices,
                        min_samples,
                        ..aftercare_fleet::health::HealthRule::new(metric)
                    })
                }
                _ => None,
            };
            let rules =
                aftercare_service::fleet::set_health(&workspace, &context, &principal, &name, rule)
                    .await?;
            if rules.is_empty() {
                eprintln!("rollout {name} has no health rule");
            }
            for rule in rules {
                println!(
                    "{name}: {} {} than {}× the unpatched devices (robust z {}), after {} with {} devices of {} samples",
                    rule.metric,
                    if rule.worse == aftercare_fleet::health::Worse::Lower {
                        "not lower"
                    } else {
                        "not higher"
                    },
                    rule.max_ratio,
                    rule.max_z,
                    rule.soak,
                    rule.min_devices,
                    rule.min_samples
                );
            }
        }
        RolloutCommand::Report {
            name,
            csv,
            workspace,
            format,
        } => {
            let (workspace, _, principal) = super::open_as_admin(&workspace).await?;
            let report = aftercare_service::fleet::rollout_report(
                &workspace,
                &principal,
                &name,
                jiff::Timestamp::now(),
            )
            .await?;
            let dto = aftercare_api::fleet::RolloutReportDto::from(&report);
            if csv {
                print!("{}", dto.metrics_csv());
            } else {
                emit(format.format, &dto, || report_text(&dto))?;
            }
        }
        RolloutCommand::List { workspace, format } => {
            let (workspace, _, principal) = super::open_as_admin(&workspace).await?;
            let dtos: Vec<RolloutDto> = rollout::list(&workspace, &principal)
                .await?
                .iter()
                .map(RolloutDto::from)
                .collect();
            emit(format.format, &dtos, || list_table(&dtos))?;
        }
    }
    Ok(Outcome::Ok)
}

async fn show(
    workspace: &aftercare_service::Workspace,
    principal: &aftercare_service::access::auth::Principal,
    name: &str,
    format: OutputFormat,
) -> anyhow::Result<()> {
    let view = rollout::show(workspace, principal, name).await?;
    let dto = RolloutDto::from(&view);
    emit(format, &dto, || detail(&dto))
}

fn count(counts: &std::collections::BTreeMap<String, i64>, state: &str) -> i64 {
    counts.get(state).copied().unwrap_or(0)
}

/// `finished / error / running / waiting` of a set of counts.
fn progress(counts: &std::collections::BTreeMap<String, i64>, total: i64) -> String {
    let finished = count(counts, "finished");
    let error = count(counts, "error");
    let running: i64 = [
        "running",
        "retrieved",
        "downloading",
        "downloaded",
        "canceling",
    ]
    .iter()
    .map(|s| count(counts, s))
    .sum();
    let width = 30usize;
    let filled = if total > 0 {
        usize::try_from(finished * 30 / total).unwrap_or(0)
    } else {
        0
    };
    let failed = if total > 0 {
        usize::try_from(error * 30 / total)
            .unwrap_or(0)
            .min(width - filled)
    } else {
        0
    };
    format!(
        "[{}{}{}] {finished}/{total} installed, {error} failed, {running} in progress, {} \
         skipped, {} waiting",
        "#".repeat(filled),
        "x".repeat(failed),
        ".".repeat(width - filled - failed),
        count(counts, "skipped"),
        count(counts, "none") + count(counts, "scheduled"),
    )
}

fn detail(dto: &RolloutDto) -> String {
    let mut out = format!(
        "Rollout {} — {}@{} ({})\nState: {}{}\nFilter: {}\nWaves: {} · success ≥ {} · error ≤ {} · type {}{}\n",
        dto.name,
        dto.product,
        dto.version,
        dto.kind,
        dto.state,
        dto.pause_reason
            .as_deref()
            .map(|r| format!(" — {r}"))
            .unwrap_or_default(),
        dto.filter,
        dto.waves_spec,
        dto.success_threshold,
        dto.error_threshold,
        dto.update_type,
        dto.window
            .as_deref()
            .map(|w| format!(" · window {w}"))
            .unwrap_or_default(),
    );
    if let Some(id) = dto.distribution_id {
        out.push_str(&format!(
            "Offered to every targeted device: distribution {id} recorded (fix_distributed)\n"
        ));
    }
    for wave in &dto.waves {
        out.push_str(&format!(
            "  wave {}{}: {}{}\n",
            wave.wave,
            if wave.wave == dto.wave {
                " (current)"
            } else {
                ""
            },
            progress(&wave.counts, wave.devices),
            if wave.hold_after {
                " · hold point after"
            } else {
                ""
            },
        ));
    }
    if dto.waves.is_empty() {
        out.push_str("  not started: the plan of waves is written when it starts\n");
    }
    out
}

fn list_table(list: &[RolloutDto]) -> String {
    let mut table = Table::new(&[
        "NAME",
        "RELEASE",
        "STATE",
        "WAVE",
        "INSTALLED",
        "FAILED",
        "DEVICES",
    ]);
    for dto in list {
        let devices: i64 = dto.waves.iter().map(|w| w.devices).sum();
        table.row(vec![
            dto.name.clone(),
            format!("{}@{}", dto.product, dto.version),
            dto.state.clone(),
            format!("{}/{}", dto.wave, dto.waves.len()),
            count(&dto.totals, "finished").to_string(),
            count(&dto.totals, "error").to_string(),
            devices.to_string(),
        ]);
    }
    table.render()
}

fn report_text(dto: &aftercare_api::fleet::RolloutReportDto) -> String {
    let mut out = format!(
        "Post-patch report of {} ({}, {}): started {}, {} of {} devices run it\n",
        dto.rollout,
        dto.release,
        dto.state,
        dto.started_at.as_deref().unwrap_or("not yet"),
        dto.installed,
        dto.devices
    );
    if !dto.exposure.is_empty() {
        let mut table = Table::new(&["VULNERABILITY", "EXPOSED BEFORE", "EXPOSED NOW"]);
        for e in &dto.exposure {
            table.row(vec![
                e.vulnerability.clone(),
                e.before.to_string(),
                e.after.to_string(),
            ]);
        }
        out.push('\n');
        out.push_str(&table.render());
    }
    if !dto.metrics.is_empty() {
        let mean =
            |m: Option<f64>, n: i64| m.map_or_else(|| "-".to_string(), |m| format!("{m:.3} ({n})"));
        let mut table = Table::new(&[
            "METRIC",
            "COHORT",
            "DEVICES",
            "BEFORE (SAMPLES)",
            "AFTER (SAMPLES)",
        ]);
        for m in &dto.metrics {
            table.row(vec![
                m.metric.clone(),
                m.cohort.clone(),
                m.devices.to_string(),
                mean(m.before_mean, m.before_samples),
                mean(m.after_mean, m.after_samples),
            ]);
        }
        out.push('\n');
        out.push_str(&table.render());
    }
    out.push_str(&format!(
        "\n{} signals during the rollout\n",
        dto.signals.len()
    ));
    for s in &dto.signals {
        out.push_str(&format!(
            "  {} {} {}: {}\n",
            s.id, s.kind, s.raised_at, s.summary
        ));
    }
    out
}
