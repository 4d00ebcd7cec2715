//! `aftercare plan …`, `aftercare patch …` and `release add --patch-for`.

use std::path::{Path, PathBuf};

use aftercare_api::patch::{ChainDto, EvidenceDto, PatchDto, PlanDto, PlanSummaryDto};
use aftercare_patch::ImpactAnswers;
use aftercare_service::Workspace;
use aftercare_service::inventory::SbomFile;
use aftercare_service::patch::chain;
use aftercare_service::patch::plan::{self, NewControl, NewPlan, PlanUpdate, Reference};
use aftercare_service::patch::release::{
    self, EvidenceUpload, NewDistribution, NewEvidence, PatchState,
};
use anyhow::Context as _;
use jiff::civil::Date;

use crate::Outcome;
use crate::cli::{
    EvidenceAddArgs, EvidenceCommand, OutputFormat, PatchCommand, PlanCommand, WorkspaceArgs,
};
use crate::output::{Table, cell, emit};

/// `PRODUCT@VERSION`, split at the last `@` (a product name may hold one, a version not).
pub(crate) fn release_name(text: &str) -> anyhow::Result<(&str, &str)> {
    match text.rsplit_once('@') {
        Some((product, version)) if !product.trim().is_empty() && !version.trim().is_empty() => {
            Ok((product.trim(), version.trim()))
        }
        _ => anyhow::bail!("{text:?}: name a release as PRODUCT@VERSION"),
    }
}

fn references(list: &[String]) -> anyhow::Result<Vec<Reference>> {
    list.iter()
        .map(|text| text.parse::<Reference>().map_err(anyhow::Error::from))
        .collect()
}

fn controls(list: &[String]) -> anyhow::Result<Vec<NewControl>> {
    list.iter()
        .map(|text| match text.split_once("::") {
            Some((description, evidence)) => Ok(NewControl {
                description: description.trim().to_string(),
                evidence: evidence.trim().to_string(),
            }),
            None => anyhow::bail!(
                "--control {text:?}: expected DESCRIPTION::EVIDENCE (where the evidence of the control is)"
            ),
        })
        .collect()
}

fn day(text: &str, flag: &str) -> anyhow::Result<Date> {
    text.trim()
        .parse::<Date>()
        .with_context(|| format!("{flag} {text:?}: expected a date, YYYY-MM-DD"))
}

fn read(path: &Path) -> anyhow::Result<EvidenceUpload> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    Ok(EvidenceUpload {
        name,
        bytes: super::read_file(path)?,
    })
}

pub(crate) async fn plan(command: PlanCommand) -> anyhow::Result<Outcome> {
    match command {
        PlanCommand::Create(args) => {
            let (workspace, context, principal) = super::open_as_admin(&args.workspace).await?;
            let new = NewPlan {
                product: args.product,
                vulnerabilities: args.vulnerability,
                findings: args.finding,
                target_version: args.target,
                cycle: args.cycle,
                cycle_review: args.cycle_review,
                owner: args.owner,
                change_requests: references(&args.change_requests)?,
                problem_reports: references(&args.problem_reports)?,
                controls: controls(&args.controls)?,
            };
            let view = plan::create(&workspace, &context, &principal, &new).await?;
            print_plan(args.format.format, &PlanDto::from(&view))?;
        }
        PlanCommand::List {
            product,
            state,
            workspace,
            format,
        } => {
            let (workspace, _) = super::open(&workspace).await?;
            let rows = plan::list(&workspace, product.as_deref(), state.as_deref()).await?;
            let dtos: Vec<PlanSummaryDto> = rows.iter().map(PlanSummaryDto::from).collect();
            emit(format.format, &dtos, || {
                let mut table = Table::new(&[
                    "ID", "PRODUCT", "TARGET", "CYCLE", "STATE", "OWNER", "UPDATED",
                ]);
                for plan in &dtos {
                    table.row(vec![
                        plan.id.to_string(),
                        plan.product.clone(),
                        plan.target_version.clone(),
                        plan.cycle.clone(),
                        plan.state.clone(),
                        plan.owner.clone(),
                        plan.updated_at.clone(),
                    ]);
                }
                table.render()
            })?;
        }
        PlanCommand::Show {
            id,
            workspace,
            format,
        } => {
            let (workspace, _) = super::open(&workspace).await?;
            let view = plan::show(&workspace, id).await?;
            print_plan(format.format, &PlanDto::from(&view))?;
        }
        PlanCommand::Update(args) => {
            let (workspace, context, principal) = super::open_as_admin(&args.workspace).await?;
            let change = PlanUpdate {
                owner: args.owner,
                target_version: args.target,
                cycle: args.cycle,
                cycle_review: args.cycle_review,
                add_findings: args.add_findings,
                change_requests: references(&args.change_requests)?,
                problem_reports: references(&args.problem_reports)?,
                controls: controls(&args.controls)?,
                start: args.start,
            };
            let view = plan::update(&workspace, &context, &principal, args.id, &change).await?;
            print_plan(args.format.format, &PlanDto::from(&view))?;
        }
        PlanCommand::Close {
            id,
            cancel,
            workspace,
            format,
        } => {
            let (workspace, context, principal) = super::open_as_admin(&workspace).await?;
            let view = plan::close(&workspace, &context, &principal, id, cancel.as_deref()).await?;
            print_plan(format.format, &PlanDto::from(&view))?;
        }
    }
    Ok(Outcome::Ok)
}

fn print_plan(format: OutputFormat, plan: &PlanDto) -> anyhow::Result<()> {
    emit(format, plan, || {
        let mut out = format!(
            "plan {} for {} — {}\ntarget {}, cycle {} ({}), owner {}\n",
            plan.id,
            plan.product,
            plan.state,
            plan.target_version,
            plan.cycle,
            plan.cycle_requirement.need,
            plan.owner
        );
        for reason in &plan.cycle_requirement.reasons {
            out.push_str(&format!(
                "  {}: {} ({})\n",
                reason.vulnerability, reason.reason, reason.need
            ));
        }
        if let Some(reason) = &plan.reason {
            out.push_str(&format!("reason: {reason}\n"));
        }
        match (&plan.due, &plan.due_note) {
            (Some(due), _) => out.push_str(&format!(
                "due {} (end {}), {}'s remediation clock, {}\n",
                due.day, due.end, due.vulnerability, due.clock_state
            )),
            (None, Some(note)) => out.push_str(&format!("due: {note}\n")),
            (None, None) => {}
        }
        for (label, list) in [
            ("change request", &plan.change_requests),
            ("problem report", &plan.problem_reports),
        ] {
            for reference in list {
                out.push_str(&format!(
                    "{label}: {}{}\n",
                    reference.reference,
                    reference
                        .url
                        .as_ref()
                        .map(|u| format!(" <{u}>"))
                        .unwrap_or_default()
                ));
            }
        }
        out.push_str("\nfindings\n");
        let mut table = Table::new(&[
            "ID",
            "RELEASE",
            "VULNERABILITY",
            "COMPONENT",
            "VERSION",
            "STATE",
        ]);
        for finding in &plan.findings {
            table.row(vec![
                finding.id.to_string(),
                finding.release.clone(),
                finding.vulnerability.clone(),
                finding.component.clone(),
                cell(finding.component_version.as_deref()),
                finding.state.clone(),
            ]);
        }
        out.push_str(&table.render());
        if !plan.controls.is_empty() {
            out.push_str("\ninterim compensating controls\n");
            for control in &plan.controls {
                out.push_str(&format!(
                    "- {} (evidence: {}; from the {})\n",
                    control.description, control.evidence, control.source
                ));
            }
        }
        if !plan.patches.is_empty() {
            out.push_str("\npatches\n");
            for patch in &plan.patches {
                out.push_str(&format!(
                    "- {}@{} (aftercare patch show {:?})\n",
                    plan.product,
                    patch.version,
                    format!("{}@{}", plan.product, patch.version)
                ));
            }
        }
        out.push_str("\nhistory\n");
        let mut table = Table::new(&["AT", "EVENT", "BY"]);
        for event in &plan.events {
            table.row(vec![
                event.at.clone(),
                event.kind.clone(),
                event.actor.clone(),
            ]);
        }
        out.push_str(&table.render());
        out
    })
}

/// `release add … --patch-for PLAN…`: imported, matched and attached, or nothing imported.
pub(crate) async fn add_patch_release(
    workspace_args: &WorkspaceArgs,
    product: &str,
    version: &str,
    sbom: Option<&Path>,
    plans: &[i64],
    format: OutputFormat,
) -> anyhow::Result<Outcome> {
    let (workspace, context, principal) = super::open_as_admin(workspace_args).await?;
    let file = match sbom {
        Some(path) => Some(SbomFile {
            name: path.display().to_string(),
            bytes: super::read_file(path)?,
        }),
        None => None,
    };
    let imported = aftercare_service::flow::import_patch_release(
        &workspace,
        &context,
        &principal,
        product,
        version,
        file.as_ref(),
        plans,
    )
    .await?;
    show_patch(&workspace, imported.patch, format).await
}

async fn show_patch(
    workspace: &Workspace,
    state: PatchState,
    format: OutputFormat,
) -> anyhow::Result<Outcome> {
    show_patch_with(workspace, state, format, false).await
}

/// Shows a patch release and its chain; `every_finding` lists the fix evidence of each
/// finding however many there are.
async fn show_patch_with(
    workspace: &Workspace,
    state: PatchState,
    format: OutputFormat,
    every_finding: bool,
) -> anyhow::Result<Outcome> {
    let chain = chain::chain_of(workspace, state, jiff::Timestamp::now()).await?;
    print_chain(format, &ChainDto::from(&chain), every_finding)?;
    Ok(Outcome::Ok)
}

fn print_chain(format: OutputFormat, chain: &ChainDto, every_finding: bool) -> anyhow::Result<()> {
    emit(format, chain, || {
        let patch = &chain.patch;
        let mut out = patch_text(patch, every_finding);
        for link in &chain.links {
            out.push_str(&format!("\nchain of {}", link.vulnerability));
            match &link.clock {
                Some(clock) => out.push_str(&format!(
                    " — {} clock due {} (end {}), {}{}\n",
                    clock.kind,
                    clock.deadline_day,
                    clock.deadline_end,
                    clock.state,
                    clock
                        .satisfied_at
                        .as_ref()
                        .map(|at| format!(" at {at}"))
                        .unwrap_or_default()
                )),
                None => out.push_str(" — no remediation clock runs\n"),
            }
            let mut table = Table::new(&["STEP", "STATUS", "AT", "CLOCK", "DETAIL"]);
            for step in &link.steps {
                table.row(vec![
                    step.step.clone(),
                    step.status.clone(),
                    cell(step.at.as_deref()),
                    cell(step.clock.as_deref()),
                    step.detail.clone(),
                ]);
            }
            out.push_str(&table.render());
        }
        out
    })
}

/// Up to this many findings, the fix evidence is listed finding by finding; more are summed
/// by vulnerability unless `--findings` asks for each.
const LISTED_FINDINGS: usize = 50;

fn patch_text(patch: &PatchDto, every_finding: bool) -> String {
    let mut out = format!(
        "patch {}@{} for plan{} {}\nSBOM {}{}\napproval: {}; gate: {}\n",
        patch.product,
        patch.version,
        if patch.plans.len() == 1 { "" } else { "s" },
        patch
            .plans
            .iter()
            .map(|p| format!("{} ({})", p.id, p.state))
            .collect::<Vec<_>>()
            .join(", "),
        cell(patch.sbom_sha256.as_deref()),
        if patch.sbom_matched {
            ", matched"
        } else {
            ", not matched"
        },
        patch.approval,
        if patch.gate.cleared {
            "may be distributed".to_string()
        } else {
            format!("refuses: {}", cell(patch.gate.refusal.as_deref()))
        }
    );
    if every_finding || patch.fixes.len() <= LISTED_FINDINGS {
        out.push_str("\nfix evidence\n");
        out.push_str(&fixes_table(patch));
    } else {
        out.push_str(&format!(
            "\nfix evidence of {} findings, by vulnerability (--findings lists each)\n",
            patch.fixes.len()
        ));
        let mut table = Table::new(&[
            "VULNERABILITY",
            "FINDINGS",
            "RELEASES",
            "FIXED",
            "EVIDENCE",
            "NOT FIXED",
        ]);
        for summary in &patch.by_vulnerability {
            let open = &summary.open_findings;
            table.row(vec![
                summary.vulnerability.clone(),
                summary.findings.to_string(),
                summary.releases.to_string(),
                summary.fixed.to_string(),
                summary.summary.clone(),
                match open.len() {
                    0 => "-".to_string(),
                    n => {
                        let first: Vec<String> = open.iter().take(3).map(i64::to_string).collect();
                        if n > 3 {
                            format!("{} and {} more", first.join(", "), n - 3)
                        } else {
                            first.join(", ")
                        }
                    }
                },
            ]);
        }
        out.push_str(&table.render());
    }
    out.push_str(&format!(
        "\nevidence (required: {}{})\n",
        patch.required_evidence.join(", "),
        if patch.missing_evidence.is_empty() {
            String::new()
        } else {
            format!("; missing: {}", patch.missing_evidence.join(", "))
        }
    ));
    out.push_str(&evidence_table(&patch.evidence));
    for signature in &patch.approvals {
        out.push_str(&format!(
            "approval: {} — {}\n",
            signature.manifestation, signature.state
        ));
    }
    for decision in patch.decisions.iter().filter(|d| d.kind != "approved") {
        out.push_str(&format!(
            "{}: by {} at {} ({})\n",
            decision.kind,
            decision.decided_by,
            decision.at,
            cell(decision.reason.as_deref())
        ));
    }
    for distribution in &patch.distributions {
        out.push_str(&format!(
            "distributed: {} on {}{}\n",
            distribution.channel,
            distribution.on,
            distribution
                .organisation
                .as_ref()
                .map(|o| format!(" to {o}"))
                .unwrap_or_default()
        ));
    }
    out
}

/// The fix evidence of each finding.
fn fixes_table(patch: &PatchDto) -> String {
    let mut table = Table::new(&[
        "FINDING",
        "RELEASE",
        "VULNERABILITY",
        "COMPONENT",
        "FIXED",
        "EVIDENCE",
    ]);
    for fix in &patch.fixes {
        table.row(vec![
            fix.finding.to_string(),
            cell(fix.release.as_deref()),
            fix.vulnerability.clone(),
            format!("{} {}", fix.component, cell(fix.version.as_deref())),
            if fix.fixed { "yes" } else { "NO" }.to_string(),
            fix.sentence.clone(),
        ]);
    }
    table.render()
}

fn evidence_table(items: &[EvidenceDto]) -> String {
    let mut table = Table::new(&["ID", "KIND", "RESULT", "EXECUTED", "BY", "FILES", "TITLE"]);
    for item in items {
        table.row(vec![
            match item.superseded_by {
                Some(by) => format!("{} (superseded by {by})", item.id),
                None => item.id.to_string(),
            },
            item.kind.clone(),
            item.result.clone(),
            item.executed_on.clone(),
            item.executed_by.join(", "),
            item.files.len().to_string(),
            item.title.clone(),
        ]);
    }
    table.render()
}

pub(crate) async fn run(command: PatchCommand) -> anyhow::Result<Outcome> {
    match command {
        PatchCommand::Attach {
            release: name,
            plans,
            workspace,
            format,
        } => {
            let (product, version) = release_name(&name)?;
            let (workspace, context, principal) = super::open_as_admin(&workspace).await?;
            let state =
                release::attach(&workspace, &context, &principal, product, version, &plans).await?;
            show_patch(&workspace, state, format.format).await
        }
        PatchCommand::Show {
            release: name,
            findings,
            workspace,
            format,
        } => {
            let (product, version) = release_name(&name)?;
            let (workspace, _) = super::open(&workspace).await?;
            let state = release::state(&workspace, product, version).await?;
            show_patch_with(&workspace, state, format.format, findings).await
        }
        PatchCommand::Evidence(command) => evidence(command).await,
        PatchCommand::Approve {
            release: name,
            signer,
            reason,
            workspace,
            format,
        } => {
            let (product, version) = release_name(&name)?;
            let (workspace, context, principal, mut request) =
                super::triage::as_signer(&workspace, &signer).await?;
            request.reason = reason;
            let state =
                release::approve(&workspace, &context, &principal, product, version, &request)
                    .await?;
            show_patch(&workspace, state, format.format).await
        }
        PatchCommand::Reject {
            release: name,
            reason,
            workspace,
            format,
        } => decide(&name, &reason, &workspace, format.format, false).await,
        PatchCommand::Revoke {
            release: name,
            reason,
            workspace,
            format,
        } => decide(&name, &reason, &workspace, format.format, true).await,
        PatchCommand::Distribute {
            release: name,
            channel,
            on,
            organisation,
            evidence_file,
            workspace,
            format,
        } => {
            let (product, version) = release_name(&name)?;
            let (workspace, context, principal) = super::open_as_admin(&workspace).await?;
            let on = match on {
                Some(text) => day(&text, "--on")?,
                None => aftercare_service::triage::policy::current(&workspace)
                    .await?
                    .policy
                    .calendar()
                    .day_of(context.now),
            };
            let new = NewDistribution {
                channel,
                on,
                organisation,
                evidence: evidence_file.as_deref().map(read).transpose()?,
            };
            let state = aftercare_service::flow::distribute(
                &workspace, &context, &principal, product, version, &new,
            )
            .await?;
            show_patch(&workspace, state, format.format).await
        }
    }
}

/// `patch reject` (`revoke = false`) or `patch revoke`.
async fn decide(
    name: &str,
    reason: &str,
    workspace: &WorkspaceArgs,
    format: OutputFormat,
    revoke: bool,
) -> anyhow::Result<Outcome> {
    let (product, version) = release_name(name)?;
    let (workspace, context, principal) = super::open_as_admin(workspace).await?;
    let state = release::decide_against(
        &workspace, &context, &principal, product, version, reason, revoke,
    )
    .await?;
    show_patch(&workspace, state, format).await
}

async fn evidence(command: EvidenceCommand) -> anyhow::Result<Outcome> {
    match command {
        EvidenceCommand::Add(args) => add_evidence(*args).await,
        EvidenceCommand::List {
            release: name,
            workspace,
            format,
        } => {
            let (product, version) = release_name(&name)?;
            let (workspace, _) = super::open(&workspace).await?;
            let state = release::state(&workspace, product, version).await?;
            let items = EvidenceDto::list(&state);
            emit(format.format, &items, || evidence_table(&items))?;
            Ok(Outcome::Ok)
        }
        EvidenceCommand::Show {
            id,
            workspace,
            format,
        } => {
            let (workspace, _) = super::open(&workspace).await?;
            let state = release::state_of_evidence(&workspace, id).await?;
            let item = EvidenceDto::list(&state)
                .into_iter()
                .find(|item| item.id == id)
                .with_context(|| format!("evidence {id} is not among its release's items"))?;
            emit(format.format, &item, || evidence_text(&state, &item))?;
            Ok(Outcome::Ok)
        }
        EvidenceCommand::Download {
            id,
            file,
            output,
            workspace,
        } => {
            let (workspace, _) = super::open(&workspace).await?;
            let name = match file {
                Some(name) => name,
                None => {
                    let state = release::state_of_evidence(&workspace, id).await?;
                    let row = state
                        .evidence_rows
                        .iter()
                        .find(|row| row.id == id)
                        .with_context(|| {
                            format!("evidence {id} is not among its release's items")
                        })?;
                    match row.files.as_slice() {
                        [only] => only.name.clone(),
                        [] => anyhow::bail!("evidence {id} has no file"),
                        many => anyhow::bail!(
                            "evidence {id} has {} files ({}): name one with --file",
                            many.len(),
                            many.iter()
                                .map(|f| f.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    }
                }
            };
            let (name, bytes) = release::evidence_file(&workspace, id, &name).await?;
            // The stored name is the uploader's: only its last component is used as a path.
            let target = output.unwrap_or_else(|| {
                PathBuf::from(
                    Path::new(&name)
                        .file_name()
                        .map(|n| n.to_os_string())
                        .unwrap_or_else(|| format!("evidence-{id}").into()),
                )
            });
            std::fs::write(&target, &bytes)
                .with_context(|| format!("cannot write {}", target.display()))?;
            eprintln!(
                "wrote {} ({} bytes, SHA-256 checked)",
                target.display(),
                bytes.len()
            );
            Ok(Outcome::Ok)
        }
    }
}

fn evidence_text(state: &PatchState, item: &EvidenceDto) -> String {
    let mut out = format!(
        "evidence {} of {}@{}: {} — {}
result {}, executed on {} by {}
recorded by {} at {}
digest {}
",
        item.id,
        state.release.product_name,
        state.release.version,
        item.kind,
        item.title,
        item.result,
        item.executed_on,
        item.executed_by.join(", "),
        item.recorded_by,
        item.recorded_at,
        item.digest
    );
    if let Some(old) = item.supersedes {
        out.push_str(&format!(
            "supersedes {old}
"
        ));
    }
    if let Some(by) = item.superseded_by {
        out.push_str(&format!(
            "superseded by {by}: it no longer counts
"
        ));
    }
    if let Some(impact) = &item.impact {
        out.push_str(&format!(
            "safety and essential performance affected: {}
verification re-run: {}
regulatory path: {}{}
rationale: {}
",
            if impact.safety_and_essential_performance_affected {
                "yes"
            } else {
                "no"
            },
            impact.verification_rerun.join(", "),
            impact.regulatory_path,
            impact
                .clearance
                .as_ref()
                .map(|c| format!(" (clearance {c})"))
                .unwrap_or_default(),
            impact.rationale
        ));
    }
    for file in &item.files {
        out.push_str(&format!(
            "file {} ({} bytes, sha256 {}): aftercare patch evidence download {} --file {:?}
",
            file.name, file.bytes, file.sha256, item.id, file.name
        ));
    }
    out
}

async fn add_evidence(args: EvidenceAddArgs) -> anyhow::Result<Outcome> {
    let (product, version) = release_name(&args.release)?;
    let (workspace, context, principal) = super::open_as_admin(&args.workspace).await?;
    let impact = if args.kind.trim() == "impact_assessment" {
        let safety = match args.safety_affected.as_deref().map(str::trim) {
            Some("yes") => true,
            Some("no") => false,
            Some(other) => anyhow::bail!("--safety-affected {other:?}: expected yes or no"),
            None => anyhow::bail!(
                "an impact assessment answers --safety-affected yes|no, --verification-rerun, --regulatory-path and --rationale"
            ),
        };
        Some(ImpactAnswers {
            safety_and_essential_performance_affected: safety,
            verification_rerun: args.verification_rerun,
            regulatory_path: args
                .regulatory_path
                .as_deref()
                .context(
                    "an impact assessment needs --regulatory-path letter_to_file|new_submission",
                )?
                .parse()?,
            clearance: args.clearance,
            rationale: args.rationale.unwrap_or_default(),
        })
    } else {
        None
    };
    let new = NewEvidence {
        kind: args.kind,
        title: args.title,
        result: args.result,
        executed_by: args.executed_by,
        executed_on: day(&args.executed_on, "--executed-on")?,
        files: args
            .files
            .iter()
            .map(|p| read(p))
            .collect::<anyhow::Result<_>>()?,
        impact,
        supersedes: args.supersedes,
    };
    let (id, state) =
        release::add_evidence(&workspace, &context, &principal, product, version, &new).await?;
    let item = EvidenceDto::list(&state)
        .into_iter()
        .find(|item| item.id == id)
        .context("the recorded item is not among its release's items")?;
    emit(args.format.format, &item, || evidence_text(&state, &item))?;
    if state.approval_matches() == Some(false) {
        eprintln!(
            "note: the approval of {product}@{version} no longer matches (its evidence changed): it must be signed again before distribution"
        );
    }
    Ok(Outcome::Ok)
}
