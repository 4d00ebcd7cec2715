// One finding: what matched and why, its severity, exploitability signals, assessment,
// determination, regulatory case and history, and (for those who may assess) the form that
// assesses it.

import * as api from '../../api.js';
import { h, table, link, route, facts, badge, pre } from '../../dom.js';
import { timestamp } from '../../format.js';
import { vocabulary } from '../../vocabulary.js';
import { awarenessBasis, caseClockTable, caseEventTable } from '../clocks.js';
import { assessForm } from './assess.js';
import { planStateBadge, newPlanRoute } from '../plans.js';
import { patchRoute } from '../patch/text.js';
import { findingsRoute } from './list.js';
import { STATUS_BADGES, severityBadge, kevMark, componentText, words } from './text.js';

/** A message to show once on the next render of a detail page (after saving). */
let flash = null;

/** One finding (`#/findings/{id}`): every card, and the assessment form for those who may assess. */
export async function renderDetail({ view, heading, params, can, me, navigate, announce }) {
  const id = Number(params[0]);
  // Everything the page shows is fetched before it is drawn: the page appears whole.
  const [detail, plans] = await Promise.all([api.get(`/findings/${id}`), plansOf(id)]);
  const f = detail.finding;
  heading(`${f.vulnerability.id} in ${componentText(f.component)}`,
    h('p', { class: 'breadcrumb' },
      link('/findings', 'Findings'), ' › ',
      link(findingsRoute({ product: f.product, release: f.release, state: 'all' }), `${f.product} ${f.release}`),
      ' › finding ', String(f.id)));
  if (flash && flash.id === id) {
    view.append(h('p', { class: 'alert alert-ok', role: 'status' }, flash.text));
  }
  flash = null;

  view.append(
    summarySection(f, detail.unreadable),
    matchSection(f),
    severitySection(f),
    signalsSection(detail.triage.signals),
    assessmentSection(detail.triage.assessment, f),
    determinationSection(detail.triage),
    caseSection(detail.case),
    remediationSection(f, plans, can),
    historySection(detail.history),
  );
  if (can('finding.assess')) {
    const terms = await vocabulary();
    view.append(assessForm(detail, terms, {
      can,
      me,
      announce,
      onSaved: (text) => {
        flash = { id, text };
        navigate(route(['findings', id]));
      },
    }));
  }
}

function card(id, title, ...content) {
  return h('section', { class: 'card', 'aria-labelledby': id }, h('h2', { id }, title), ...content);
}

function summarySection(f, unreadable) {
  const v = f.vulnerability;
  return card('finding-summary', 'Finding',
    facts([
      ['Vulnerability', [h('code', null, v.id), v.aliases.length ? h('span', { class: 'muted' }, ` also ${v.aliases.join(', ')}`) : null]],
      ['Summary', v.summary],
      ['Product', f.product],
      ['Release', f.release],
      ['Component', componentText(f.component)],
      ['Package URL', f.component.purl ? h('code', { class: 'purl' }, f.component.purl) : null],
      ['State', [badge(f.state === 'open' ? 'warn' : 'neutral', f.state),
        f.closed_at ? [' since ', timestamp(f.closed_at)] : null]],
      ['Why closed', f.close_reason],
      ['Held', unreadable && unreadable.length
        ? [badge('bad', 'held'), ' match runs leave this finding as it is: ', unreadable.join('; ')]
        : null],
      ['First seen', timestamp(f.first_seen)],
      ['Last confirmed', timestamp(f.last_seen)],
    ]),
    h('p', null, link(findingsRoute({ vulnerability: v.id, state: 'all' }), `Every finding of ${v.id}`)));
}

function matchSection(f) {
  return card('finding-match', 'What matched and why',
    facts([
      ['Confidence', badge(f.confidence === 'high' ? 'ok' : (f.confidence === 'low' ? 'warn' : 'neutral'), f.confidence)],
      ['Version matched', f.matched_version ?? 'none (no version to compare)'],
      ['Fixed in', f.fixed_versions.length ? f.fixed_versions.join(', ') : 'no fixed version known'],
    ]),
    table('The records and ranges that matched', ['Record', 'Kind', 'Why', 'Version', 'Fixed', 'Confidence'],
      f.reasons.map((r) => [
        h('code', null, String(r.record ?? '—')),
        words(r.kind ?? '—'),
        String(r.text ?? ''),
        r.version ?? '—',
        r.fixed ?? '—',
        r.confidence ?? '—',
      ]), { empty: 'No reason was recorded.', hideCaption: true }));
}

function severitySection(f) {
  const basis = f.severity_basis ?? {};
  let from;
  if (basis.source === 'cvss') {
    from = [`CVSS ${basis.version ?? ''} vector of `, h('code', null, String(basis.record ?? '?')), ': ',
      h('code', { class: 'vector' }, String(basis.vector ?? '')),
      basis.score !== undefined && basis.score !== null ? ` (base score ${Number(basis.score).toFixed(1)})` : null];
  } else if (basis.source === 'label') {
    from = ['the label ', h('q', null, String(basis.label ?? '')), ' of ', h('code', null, String(basis.record ?? '?'))];
  } else {
    from = 'no record gives a CVSS vector or a severity label';
  }
  return card('finding-severity', 'Severity',
    facts([
      ['Severity', severityBadge(f.severity, f.score)],
      ['Basis', from],
      ['Known exploited', f.kev ? kevMark(true) : 'no'],
    ]));
}

function percent(value) {
  return `${(Number(value) * 100).toFixed(1)} %`;
}

function signalsSection(s) {
  return card('finding-signals', 'Exploitability',
    facts([
      ['Policy level', badge(s.exploitability === 'high' ? 'bad' : (s.exploitability === 'medium' ? 'warn' : 'neutral'), s.exploitability)],
      ['CISA KEV', s.kev_date_added
        ? [`in the catalog since ${s.kev_date_added}`, s.kev_ransomware ? [' ', badge('bad', 'known ransomware use')] : null]
        : 'not in the catalog'],
      ['EPSS', s.epss === null || s.epss === undefined ? 'no score'
        : `${percent(s.epss)} (percentile ${percent(s.epss_percentile ?? 0)}) on ${s.epss_date ?? '?'}`],
      ['EPSS rise (trend window)', s.epss_rise === null || s.epss_rise === undefined ? null : `${s.epss_rise >= 0 ? '+' : ''}${percent(s.epss_rise)}`],
      ['Exploit maturity (device vector)', s.exploit_maturity ? words(s.exploit_maturity) : null],
      ['Public exploit references', String(s.public_exploit_references ?? 0)],
    ]),
    table('The policy rules that fired', ['Rule', 'Level', 'Detail'],
      s.reasons.map((r) => [h('code', null, String(r.rule ?? '')), String(r.level ?? ''), String(r.detail ?? '')]),
      { empty: 'No exploitability rule fired.', hideCaption: true }));
}

function assessmentSection(a, f) {
  if (!a) {
    return card('finding-assessment', 'Assessment',
      h('p', { class: 'empty' }, 'Not assessed yet.'),
      f.review_required ? h('p', null, badge('warn', 're-review'), ' This finding needs a re-review.') : null);
  }
  return card('finding-assessment', 'Assessment',
    a.review_required
      ? h('div', { class: 'alert alert-info', role: 'note' }, badge('warn', 're-review'), ' ',
        a.review_reason ?? 'This finding needs a re-review.')
      : null,
    facts([
      ['Status', badge(STATUS_BADGES[a.status] ?? 'neutral', words(a.status))],
      ['Decided on', a.inherited
        ? [badge('neutral', 'inherited'), ' from ', link(route(['findings', a.made_on_finding]), `finding ${a.made_on_finding}`)]
        : 'this finding'],
      ['Scope', `${a.scope}, versions ${a.versions}`],
      ['Justification', a.justification
        ? [words(a.justification), a.openvex_justification ? h('span', { class: 'muted' }, ` (OpenVEX: ${a.openvex_justification})`) : null]
        : null],
      ['Impact statement', a.impact_statement],
      ['Responses', a.responses.length ? a.responses.map(words).join(', ') : null],
      ['Action statement', a.action_statement
        ? [a.action_statement, a.action_statement_generated ? h('span', { class: 'muted' }, ' (generated by aftercare from the response)') : null]
        : null],
      ['Published as', publishedStatement(a.published)],
      ['Details', a.details],
      ['Assignee', a.assignee],
      ['Device CVSS vector', a.cvss_vector
        ? [h('code', { class: 'vector' }, a.cvss_vector), a.cvss_score === null ? null : ` (${Number(a.cvss_score).toFixed(1)})`]
        : null],
      ['Rubric answers', a.rubric_vector ? h('code', null, a.rubric_vector) : null],
      ['Harm severity', a.harm_severity],
      ['Safety and essential performance', a.safety_and_essential_performance_affected === null
        || a.safety_and_essential_performance_affected === undefined ? null
        : (a.safety_and_essential_performance_affected ? 'affected' : 'not affected')],
      ['Decided', [timestamp(a.made_at), ` by ${a.made_by}`]],
    ]),
    a.controls.length ? controlTable(a.controls) : null);
}

function controlTable(controls) {
  return table('Compensating controls', ['Control', 'Evidence', 'Claimed effective', 'Verified by', 'Counted'],
    controls.map((c) => [c.description, c.evidence, c.effective ? 'yes' : 'no',
      c.verified_by ?? badge('warn', 'not verified: lowers nothing'),
      c.counted ? badge('ok', 'lowered the determination') : 'no']));
}

/**
 * How the statement would be published (OpenVEX, CSAF): flagged when it differs from what
 * was assessed, as a not_affected resting on the customer's controls does.
 */
function publishedStatement(p) {
  if (!p) return null;
  if (!p.note) return words(p.status);
  return h('div', { class: 'alert alert-info', role: 'note' },
    badge('warn', `published as ${words(p.status)}`), ' ', p.note,
    p.action_statement ? h('p', null, h('strong', null, 'Action statement: '), p.action_statement) : null);
}

function patchPath(path) {
  if (!path || !path.path) return null;
  const label = {
    regular_cycle: 'the regular patch cycle',
    out_of_cycle_candidate: 'a candidate for an out-of-cycle patch',
    out_of_cycle_required: 'an out-of-cycle patch is required',
  }[path.path] ?? words(path.path);
  const reasons = Array.isArray(path.reasons) && path.reasons.length ? path.reasons : null;
  return [label, reasons ? h('ul', { class: 'refs' }, reasons.map((r) => h('li', null, typeof r === 'string' ? r : JSON.stringify(r)))) : null];
}

function determinationFacts(d) {
  const overridden = d.outcome !== d.computed;
  return facts([
    ['Outcome', [badge(d.outcome === 'uncontrolled' ? 'bad' : 'ok', d.outcome),
      overridden ? [' ', badge('warn', `overridden: the policy computed ${d.computed}`)] : h('span', { class: 'muted' }, ' as computed by the policy')]],
    ['Override rationale', d.override_rationale],
    ['Harm severity', d.harm_severity],
    ['Safety and essential performance', d.safety_and_essential_performance_affected ? 'affected' : 'not affected'],
    ['Exploitability', d.exploitability],
    ['Patch path', patchPath(d.patch_path)],
    ['How the policy decided', (d.steps ?? []).length ? h('ul', { class: 'refs' }, d.steps.map((s) => h('li', null, s))) : null],
    ['Compensating controls', (d.controls ?? []).length ? controlTable(d.controls) : null],
    ['Signature', d.signature_id === null || d.signature_id === undefined
      ? badge('warn', 'not signed')
      : (d.signatures ?? []).length === 0
        ? [badge('ok', 'signed'), ` (signature ${d.signature_id})`]
        : d.signatures.map((sig) => h('div', null,
          sig.state === 'valid' ? badge('ok', 'signed') : badge('bad', sig.state),
          ' ', sig.manifestation,
          sig.reason ? h('span', { class: 'muted' }, ` — “${sig.reason}”`) : null))],
    ['Made', [timestamp(d.created_at), ` by ${d.created_by}`]],
    ['Inputs SHA-256', h('code', { class: 'hash' }, d.inputs_sha256)],
    ['Policy SHA-256', h('code', { class: 'hash' }, d.policy_sha256)],
  ]);
}

function determinationSection(triage) {
  const d = triage.determination;
  if (!d) {
    return card('finding-determination', 'Determination',
      h('p', { class: 'empty' }, 'No determination of this product and vulnerability yet.'));
  }
  const earlier = triage.earlier_determinations ?? [];
  return card('finding-determination', 'Determination',
    h('p', { class: 'muted' }, 'Whether the residual risk of patient harm is controlled: exploitability, impact on safety and essential performance, and severity of harm (FDA postmarket guidance, 2016).'),
    determinationFacts(d),
    earlier.length
      ? h('details', null, h('summary', null, `Earlier determinations (${earlier.length})`),
        table('Earlier determinations, newest first', ['Made', 'Outcome', 'Computed', 'Harm', 'Signed'],
          earlier.map((e) => [timestamp(e.created_at), e.outcome, e.computed, e.harm_severity,
            e.signature_id === null ? 'no' : `signature ${e.signature_id}`]), { hideCaption: true }))
      : null);
}

function caseSection(found) {
  if (!found) {
    return card('finding-case', 'Regulatory case', h('p', { class: 'empty' }, 'No case is open for this product and vulnerability.'));
  }
  const risk = found.risk === null
    ? badge('neutral', 'not determined yet')
    : badge(found.risk === 'uncontrolled' ? 'bad' : 'ok', found.risk);
  return card('finding-case', 'Regulatory case and clocks',
    facts([
      ['Awareness date', found.awareness_date ?? 'not known yet'],
      ['Awareness from', awarenessBasis(found.awareness_basis)],
      ['Risk', risk],
      ['Correction started', found.correction_started],
    ]),
    h('h3', null, 'Clocks'),
    caseClockTable(found.clocks),
    h('details', null, h('summary', null, `Case events (${found.events.length})`), caseEventTable(found.events)),
    h('p', null, link(route(['cases', found.product, found.vulnerability]), 'The case page')));
}

/** The remediation plans that name a finding (`GET /api/v1/plans?finding=`), each in full. */
async function plansOf(id) {
  const plans = await api.get('/plans', { finding: id });
  return Promise.all(plans.map((p) => api.get(`/plans/${p.id}`)));
}

/** The plans that remediate the finding, with their state and patch releases, and a way to create one. */
function remediationSection(f, details, can) {
  return card('finding-remediation', 'Remediation',
    table('The plans that remediate this finding', ['Plan', 'Target', 'State', 'Patch releases'],
      details.map((p) => [
        h('a', { href: `#${route(['plans', p.id])}`, class: 'id' }, `Plan ${p.id}`),
        p.target_version,
        planStateBadge(p.state),
        p.patches.length
          ? p.patches.map((patch, i) => [i ? ', ' : null,
            h('a', { href: `#${patchRoute(p.product, patch.version)}` }, `${p.product} ${patch.version}`)])
          : h('span', { class: 'muted' }, 'none yet'),
      ]), { empty: 'No remediation plan names this finding.', hideCaption: true }),
    can('patch.manage') && f.state === 'open' && details.length === 0
      ? h('p', null, h('a', { href: `#${newPlanRoute(f.product, [f.id])}`, class: 'button' }, 'Create a plan for this finding'))
      : null);
}

function historySection(history) {
  return card('finding-history', 'History',
    table('What happened to the finding, oldest first', ['When', 'Event', 'Details', 'By'],
      history.map((e) => [
        timestamp(e.at),
        words(e.kind),
        e.detail && typeof e.detail === 'object' && Object.keys(e.detail).length
          ? h('details', null, h('summary', null, 'what was recorded'),
            pre(JSON.stringify(e.detail, null, 2), `Details of ${e.kind}`))
          : '—',
        e.actor,
      ]), { empty: 'No history.', hideCaption: true }));
}
