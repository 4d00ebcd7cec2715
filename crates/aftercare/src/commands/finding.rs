//! `aftercare finding …` and `aftercare match`.

use aftercare_api::finding::{FindingDetailDto, FindingDto, FindingPageDto, MatchReportDto};
use aftercare_api::triage::{AssessOutcomeDto, RecordedControlDto, RubricDto, RubricScoreDto};
use aftercare_service::finding::{self, FindingQuery, MatchScope};
use aftercare_service::triage::assessment::{self, AssessmentInput, ControlInput};

use crate::Outcome;
use crate::cli::{AssessArgs, FindingCommand, MatchArgs, RubricCommand, SignerArgs};
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
            assessment,
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
                assessment,
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
        FindingCommand::Assess(args) => assess(*args).await?,
        FindingCommand::Show {
            id,
            workspace,
            format,
        } => {
            let (workspace, _, principal) = super::open_as_admin(&workspace).await?;
            let detail = finding::show(&workspace, id).await?;
            let mut dto = FindingDetailDto::from(&detail);
            dto.exposed_devices = aftercare_service::device::exposed_by_finding(
                &workspace,
                &principal,
                &dto.finding.product,
                &dto.finding.release,
                &dto.finding.state,
            )
            .await?;
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
        "ASSESSMENT",
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
            assessment_cell(f),
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

fn assessment_cell(f: &FindingDto) -> String {
    match (&f.vex_status, f.review_required, f.inherited) {
        (_, true, _) => "RE-REVIEW".to_string(),
        (Some(status), false, Some(true)) => format!("{status} (inherited)"),
        (Some(status), false, _) => status.clone(),
        (None, _, _) => "-".to_string(),
    }
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
    for unreadable in &detail.unreadable {
        out.push_str(&format!(
            "held           {unreadable}; match runs leave this finding as it is\n"
        ));
    }
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
    let signals = &detail.triage.signals;
    out.push_str("\nexploitability signals\n");
    out.push_str(&format!(
        "  KEV            {}\n",
        match &signals.kev_date_added {
            Some(date) => format!(
                "listed since {date}{}",
                if signals.kev_ransomware {
                    ", known ransomware use"
                } else {
                    ""
                }
            ),
            None => "not listed".to_string(),
        }
    ));
    out.push_str(&format!(
        "  EPSS           {}\n",
        match signals.epss {
            Some(score) => format!(
                "{score:.4} (percentile {:.2}, {}){}",
                signals.epss_percentile.unwrap_or_default(),
                signals.epss_date.as_deref().unwrap_or("?"),
                signals
                    .epss_rise
                    .map(|r| format!(", {r:+.4} over 30 days"))
                    .unwrap_or_default()
            ),
            None => "no score".to_string(),
        }
    ));
    out.push_str(&format!(
        "  exploits       {} public reference{}\n",
        signals.public_exploit_references,
        if signals.public_exploit_references == 1 {
            ""
        } else {
            "s"
        }
    ));
    out.push_str(&format!(
        "  level          {}{}\n",
        signals.exploitability,
        if signals.reasons.is_empty() {
            " (the policy's default)".to_string()
        } else {
            format!(
                " ({})",
                signals
                    .reasons
                    .iter()
                    .filter_map(|r| r["detail"].as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        }
    ));
    out.push_str("\nassessment\n");
    match &detail.triage.assessment {
        None => out.push_str("  not assessed\n"),
        Some(a) => {
            if a.review_required {
                out.push_str(&format!(
                    "  NEEDS RE-REVIEW: {}\n",
                    a.review_reason.as_deref().unwrap_or("")
                ));
            }
            out.push_str(&format!(
                "  status         {}{}\n",
                a.status,
                a.justification
                    .as_deref()
                    .map(|j| format!(
                        " ({j}; OpenVEX {})",
                        a.openvex_justification.as_deref().unwrap_or("-")
                    ))
                    .unwrap_or_default()
            ));
            if let Some(impact) = &a.impact_statement {
                out.push_str(&format!("  impact         {impact}\n"));
            }
            if !a.responses.is_empty() {
                out.push_str(&format!("  response       {}\n", a.responses.join(", ")));
            }
            if let Some(action) = &a.action_statement {
                out.push_str(&format!(
                    "  action         {action}{}\n",
                    if a.action_statement_generated {
                        " (generated by aftercare)"
                    } else {
                        ""
                    }
                ));
            }
            if let Some(published) = &a.published
                && let Some(note) = &published.note
            {
                out.push_str(&format!("  published as   {}: {note}\n", published.status));
            }
            if let Some(vector) = &a.cvss_vector {
                out.push_str(&format!(
                    "  device CVSS    {vector} ({:.1})\n",
                    a.cvss_score.unwrap_or_default()
                ));
            }
            if let Some(rubric) = &a.rubric_vector {
                out.push_str(&format!("  rubric         {rubric}\n"));
            }
            if let Some(harm) = &a.harm_severity {
                out.push_str(&format!(
                    "  harm           {harm}, safety and essential performance {}\n",
                    if a.safety_and_essential_performance_affected == Some(false) {
                        "not affected"
                    } else {
                        "affected"
                    }
                ));
            }
            for control in &a.controls {
                out.push_str(&format!("  control        {}\n", control_text(control)));
            }
            if let Some(assignee) = &a.assignee {
                out.push_str(&format!("  assignee       {assignee}\n"));
            }
            out.push_str(&format!(
                "  decided        {} by {} (scope {}, versions {}){}\n",
                a.made_at,
                a.made_by,
                a.scope,
                a.versions,
                if a.inherited {
                    format!(", inherited from finding {}", a.made_on_finding)
                } else {
                    String::new()
                }
            ));
        }
    }
    if let Some(d) = &detail.triage.determination {
        out.push_str(&format!(
            "\ndetermination {}: {} risk{} (exploitability {}, harm {}), patch path {}, {}\n",
            d.id,
            d.outcome.to_uppercase(),
            if d.outcome != d.computed {
                format!(
                    " (computed {}, overridden: {})",
                    d.computed,
                    d.override_rationale.as_deref().unwrap_or("")
                )
            } else {
                String::new()
            },
            d.exploitability,
            d.harm_severity,
            d.patch_path["path"].as_str().unwrap_or("?"),
            match d.signature_id {
                Some(id) => format!("signed (signature {id})"),
                None => "not signed".to_string(),
            }
        ));
        for signature in &d.signatures {
            out.push_str(&format!(
                "  {}{}\n",
                signature.manifestation,
                if signature.state == "valid" {
                    String::new()
                } else {
                    format!(" [{}]", signature.state)
                }
            ));
        }
        for control in &d.controls {
            out.push_str(&format!("  control: {}\n", control_text(control)));
        }
        for step in &d.steps {
            out.push_str(&format!("  step: {step}\n"));
        }
    }
    if !detail.exposed_devices.is_empty() {
        out.push_str(&format!(
            "exposed now    {} device(s) run {}: {}\n",
            detail.exposed_devices.len(),
            f.release,
            detail.exposed_devices.join(", ")
        ));
    }
    if let Some(case) = &detail.case {
        out.push('\n');
        out.push_str(&super::triage::case_text(case));
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
    let mut total = MatchReportDto {
        components: 0,
        records: 0,
        opened: Vec::new(),
        reopened: Vec::new(),
        changed: Vec::new(),
        closed: Vec::new(),
        confirmed: 0,
        held: Vec::new(),
        unreadable: Vec::new(),
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
        reports.push(finding::rematch(&workspace, &context, MatchScope::All).await?);
    } else {
        for release in releases {
            reports.push(
                finding::rematch(&workspace, &context, MatchScope::Release(release.id)).await?,
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
        total.held.extend(dto.held);
        total.unreadable.extend(dto.unreadable);
        total.cases += dto.cases;
        total.elapsed_ms += dto.elapsed_ms;
    }
    for unreadable in &total.unreadable {
        eprintln!("warning: {unreadable}; the findings of its vulnerability are held as they are");
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

/// A recorded control in words: what, the evidence, the claim and who verified it.
fn control_text(control: &RecordedControlDto) -> String {
    format!(
        "{} [evidence {}]{}{}",
        control.description,
        control.evidence,
        if control.effective {
            ""
        } else {
            " (not effective)"
        },
        match (&control.verified_by, control.counted) {
            (Some(person), true) => format!(", verified by {person}: counted"),
            (Some(person), false) => format!(", verified by {person}"),
            (None, _) => ", not verified by a person: lowers nothing".to_string(),
        }
    )
}

fn control(text: &str) -> anyhow::Result<ControlInput> {
    let mut parts = text.split("::").map(str::trim);
    let description = parts.next().unwrap_or_default().to_string();
    let evidence = parts
        .next()
        .ok_or_else(|| anyhow::anyhow!("--control {text:?}: expected DESCRIPTION::EVIDENCE"))?
        .to_string();
    let effective = match parts.next() {
        None | Some("effective") => true,
        Some("ineffective") | Some("not effective") => false,
        Some(other) => anyhow::bail!(
            "--control {text:?}: the third part is `effective` or `ineffective`, not {other:?}"
        ),
    };
    Ok(ControlInput {
        description,
        evidence,
        effective,
    })
}

async fn assess(args: AssessArgs) -> anyhow::Result<()> {
    let input = AssessmentInput {
        status: args.status.clone(),
        justification: args.justification.clone(),
        impact_statement: args.impact.clone(),
        responses: args.responses.clone(),
        action_statement: args.action.clone(),
        details: args.details.clone(),
        assignee: args.assignee.clone(),
        scope: args.scope.clone(),
        versions: args.versions.clone(),
        cvss_vector: args.vector.clone(),
        rubric: args.rubric.clone(),
        harm: args.harm.clone(),
        safety_and_essential_performance_affected: args
            .harm
            .as_ref()
            .map(|_| !args.safety_and_essential_performance_unaffected),
        controls: args
            .controls
            .iter()
            .map(|c| control(c))
            .collect::<anyhow::Result<_>>()?,
        override_risk: args.override_outcome.clone(),
        override_rationale: args.rationale.clone(),
    };
    // A determination is signed by a person: only then are credentials asked for.
    let (workspace, context, principal, request) = if args.harm.is_some() {
        let signer = SignerArgs {
            signer: args.signer.clone(),
            meaning: args.meaning.clone(),
        };
        let (workspace, context, principal, request) =
            super::triage::as_signer(&args.workspace, &signer).await?;
        (workspace, context, principal, Some(request))
    } else {
        let (workspace, context, principal) = super::open_as_admin(&args.workspace).await?;
        (workspace, context, principal, None)
    };
    let outcome = assessment::assess(
        &workspace,
        &context,
        &principal,
        &args.ids,
        &input,
        request.as_ref(),
        jiff::Timestamp::now(),
    )
    .await?;
    let dto = AssessOutcomeDto::from(&outcome);
    emit(args.format.format, &dto, || {
        let mut out = format!(
            "{} finding{} assessed ({})",
            dto.decisions.len(),
            if dto.decisions.len() == 1 { "" } else { "s" },
            args.status
        );
        if !dto.inherited.is_empty() {
            out.push_str(&format!(
                "; inherited by {} other finding(s)",
                dto.inherited.len()
            ));
        }
        if !dto.flagged.is_empty() {
            out.push_str(&format!(
                "; {} finding(s) outside the covered versions flagged for a re-review: {:?}",
                dto.flagged.len(),
                dto.flagged
            ));
        }
        out.push('\n');
        for note in &dto.notes {
            out.push_str(&format!("note: {note}\n"));
        }
        for d in &dto.determinations {
            out.push_str(&format!(
                "determination {}: {} (exploitability {}, harm {}){}\n",
                d.id,
                d.outcome,
                d.exploitability,
                d.harm_severity,
                if d.signature_id.is_some() {
                    ", signed"
                } else {
                    ""
                }
            ));
            for control in &d.controls {
                out.push_str(&format!("  control: {}\n", control_text(control)));
            }
            for step in &d.steps {
                out.push_str(&format!("  step: {step}\n"));
            }
        }
        out
    })?;
    Ok(())
}

pub(crate) fn rubric(command: RubricCommand) -> anyhow::Result<Outcome> {
    match command {
        RubricCommand::Questions { format } => {
            let rubric = aftercare_risk::Rubric::mitre_2020()?;
            let dto = RubricDto::from(&rubric);
            emit(format.format, &dto, || {
                let mut out = format!("{} (version {})\n{}\n", dto.title, dto.version, dto.source);
                for metric in &dto.metrics {
                    out.push_str(&format!(
                        "\n{} — {} (start at {})\n",
                        metric.name,
                        metric.title,
                        metric.roots.join(", ")
                    ));
                    for q in dto.questions.iter().filter(|q| q.metric == metric.name) {
                        out.push_str(&format!(
                            "  {} [{}]{} {}\n",
                            q.id,
                            q.number,
                            q.category
                                .as_deref()
                                .map(|c| format!(" ({c})"))
                                .unwrap_or_default(),
                            q.text
                        ));
                        for o in &q.options {
                            let leads = match (&o.next, &o.value) {
                                (Some(next), _) => format!("next {next}"),
                                (None, Some(value)) => format!("{}:{value}", metric.name),
                                (None, None) => String::new(),
                            };
                            out.push_str(&format!("      {}: {} → {leads}\n", o.code, o.label));
                        }
                    }
                }
                out
            })?;
        }
        RubricCommand::Score { vector, format } => {
            let (extended_vector, base_vector, base_score, severity) =
                assessment::score_rubric(&vector)?;
            let dto = RubricScoreDto {
                extended_vector,
                base_vector,
                base_score,
                severity,
            };
            emit(format.format, &dto, || {
                format!(
                    "{}\n{} — base score {:.1} ({})\n",
                    dto.extended_vector, dto.base_vector, dto.base_score, dto.severity
                )
            })?;
        }
    }
    Ok(Outcome::Ok)
}
