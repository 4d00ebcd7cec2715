// Findings: the list with its filters (kept in the address, so a filtered view can be shared),
// and one finding with what matched and why, its severity, exploitability signals, assessment,
// determination, regulatory case and history, and the form that assesses it.

import * as api from '../api.js';
import { h, replace, table, link, route, facts, field, badge, pre, errorBox } from '../dom.js';
import { timestamp } from '../format.js';
import { awarenessBasis, caseClockTable, caseEventTable } from './clocks.js';

export const nav = { label: 'Findings', route: '/findings', permission: 'finding.read' };

export const routes = [
  { pattern: /^\/findings$/, permission: 'finding.read', render: renderList },
  { pattern: /^\/findings\/(\d+)$/, permission: 'finding.read', render: renderDetail },
];

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'none', 'unknown'];
const SEVERITY_BADGES = { critical: 'bad', high: 'bad', medium: 'warn', low: 'neutral', none: 'neutral', unknown: 'neutral' };
const STATES = ['open', 'closed', 'all'];
const ASSESSMENTS = [
  ['', 'any'],
  ['unassessed', 'not assessed'],
  ['assessed', 'assessed'],
  ['needs_review', 'needs a re-review'],
  ['not_affected', 'not affected'],
  ['affected', 'affected'],
  ['fixed', 'fixed'],
  ['under_investigation', 'under investigation'],
];
const LIMITS = ['25', '50', '100', '200'];
const DEFAULT_LIMIT = '50';

const STATUSES = [
  ['not_affected', 'Not affected'],
  ['affected', 'Affected'],
  ['fixed', 'Fixed'],
  ['under_investigation', 'Under investigation'],
];
const STATUS_BADGES = { not_affected: 'ok', fixed: 'ok', affected: 'bad', under_investigation: 'warn' };

/** The nine CycloneDX justifications of `not_affected`, with what each claims. */
const JUSTIFICATIONS = [
  ['code_not_present', 'Code not present', 'the vulnerable code was removed or never built in'],
  ['code_not_reachable', 'Code not reachable', 'the vulnerable code is present but never invoked'],
  ['requires_configuration', 'Requires configuration', 'the shipped configuration leaves the vulnerable path unused'],
  ['requires_dependency', 'Requires dependency', 'a dependency the exploit needs is not present'],
  ['requires_environment', 'Requires environment', 'the environment the exploit needs is not present'],
  ['protected_by_compiler', 'Protected by compiler', 'a build-time protection prevents exploitation'],
  ['protected_at_runtime', 'Protected at runtime', 'a runtime protection prevents exploitation'],
  ['protected_at_perimeter', 'Protected at perimeter', 'a physical, logical or network perimeter blocks attacks'],
  ['protected_by_mitigating_control', 'Protected by mitigating control', 'preventive measures reduce likelihood or impact'],
];
const RESPONSES = [
  ['can_not_fix', 'Cannot fix'],
  ['will_not_fix', 'Will not fix'],
  ['update', 'Update'],
  ['rollback', 'Roll back'],
  ['workaround_available', 'Workaround available'],
];
const SCOPES = [
  ['finding', 'This finding only'],
  ['product', 'Every release of this product with the component'],
  ['portfolio', 'Every product with the component'],
];
const HARMS = [
  ['negligible', 'Negligible: inconvenience or temporary discomfort'],
  ['minor', 'Minor: temporary injury not needing medical intervention'],
  ['serious', 'Serious: injury needing medical intervention'],
  ['critical', 'Critical: permanent impairment or life-threatening injury'],
  ['catastrophic', 'Catastrophic: results in patient death'],
];
const MEANINGS = [
  ['authorship', 'Authorship: I wrote this determination'],
  ['review', 'Review: I reviewed it'],
  ['approval', 'Approval: I approve it'],
  ['responsibility', 'Responsibility: I take responsibility for it'],
];

const words = (text) => String(text).replaceAll('_', ' ');

/** A severity as a badge (the word is always written, colour only repeats it). */
export function severityBadge(severity, score) {
  const text = score === null || score === undefined ? severity : `${severity} ${Number(score).toFixed(1)}`;
  return badge(SEVERITY_BADGES[severity] ?? 'neutral', text);
}

function kevMark(kev) {
  return kev ? h('span', { class: 'badge badge-bad', title: 'In CISA’s Known Exploited Vulnerabilities catalog' }, 'KEV') : null;
}

/** The assessment column: VEX status, and whether it was inherited or needs a re-review. */
function assessmentCell(f) {
  if (!f.vex_status) {
    return [h('span', { class: 'muted' }, 'not assessed'), f.review_required ? [' ', badge('warn', 're-review')] : null];
  }
  return [
    badge(STATUS_BADGES[f.vex_status] ?? 'neutral', words(f.vex_status)),
    f.inherited ? [' ', badge('neutral', 'inherited')] : null,
    f.review_required ? [' ', badge('warn', 're-review')] : null,
  ];
}

function componentText(c) {
  return c.version ? `${c.name} ${c.version}` : c.name;
}

// The list.

/** The filters of the list from the address, with their defaults. */
function filtersOf(query) {
  return {
    product: query.get('product') ?? '',
    release: query.get('release') ?? '',
    severity: (query.get('severity') ?? '').split(',').filter((s) => SEVERITIES.includes(s)),
    kev: query.get('kev') === 'true',
    state: STATES.includes(query.get('state')) ? query.get('state') : 'open',
    assessment: query.get('assessment') ?? '',
    vulnerability: query.get('vulnerability') ?? '',
    search: query.get('search') ?? '',
    offset: Math.max(0, Number(query.get('offset') ?? 0) || 0),
    limit: LIMITS.includes(query.get('limit')) ? query.get('limit') : DEFAULT_LIMIT,
  };
}

/** The address of a filtered list (defaults left out, so links stay short). */
export function findingsRoute(filters) {
  return route(['findings'], {
    product: filters.product,
    release: filters.release,
    severity: (filters.severity ?? []).join(','),
    kev: filters.kev ? 'true' : '',
    state: filters.state && filters.state !== 'open' ? filters.state : '',
    assessment: filters.assessment,
    vulnerability: filters.vulnerability,
    search: filters.search,
    offset: filters.offset ? String(filters.offset) : '',
    limit: filters.limit && filters.limit !== DEFAULT_LIMIT ? filters.limit : '',
  });
}

/** A message to show once on the next render of the list (after a bulk assessment). */
let listFlash = null;

async function renderList({ view, heading, query, navigate, can, announce }) {
  heading('Findings');
  if (listFlash !== null) {
    view.append(h('p', { class: 'alert alert-ok', role: 'status' }, listFlash));
    listFlash = null;
  }
  const filters = filtersOf(query);
  const products = can('inventory.read') ? await api.get('/products').catch(() => null) : null;
  const product = products
    ? h('select', { name: 'product', id: 'finding-product' },
      h('option', { value: '' }, 'all products'),
      products.map((p) => h('option', { value: p.name, selected: filters.product === p.name }, p.name)),
      filters.product && !products.some((p) => p.name === filters.product)
        ? h('option', { value: filters.product, selected: true }, filters.product) : null)
    : h('input', { type: 'text', name: 'product', id: 'finding-product', value: filters.product });
  const release = h('input', { type: 'text', name: 'release', id: 'finding-release', value: filters.release, autocomplete: 'off' });
  const severities = h('fieldset', { class: 'checks' },
    h('legend', null, 'Severity'),
    SEVERITIES.map((s) => h('span', { class: 'field-check' },
      h('input', { type: 'checkbox', name: 'severity', value: s, id: `finding-severity-${s}`, checked: filters.severity.includes(s) }),
      h('label', { for: `finding-severity-${s}` }, s))));
  const kev = h('input', { type: 'checkbox', name: 'kev', id: 'finding-kev', checked: filters.kev });
  const state = h('select', { name: 'state', id: 'finding-state' },
    STATES.map((s) => h('option', { value: s, selected: filters.state === s }, s)));
  const assessment = h('select', { name: 'assessment', id: 'finding-assessment' },
    ASSESSMENTS.map(([value, label]) => h('option', { value, selected: filters.assessment === value }, label)));
  const vulnerability = h('input', { type: 'text', name: 'vulnerability', id: 'finding-vulnerability', value: filters.vulnerability, autocomplete: 'off', placeholder: 'CVE-…, GHSA-…' });
  const search = h('input', { type: 'search', name: 'search', id: 'finding-search', value: filters.search });
  const limit = h('select', { name: 'limit', id: 'finding-limit' },
    LIMITS.map((l) => h('option', { value: l, selected: filters.limit === l }, l)));
  const form = h('form', { class: 'filters', 'aria-label': 'Filter findings' },
    field('Product', product),
    field('Release', release, 'Its version, with a product.'),
    severities,
    h('div', { class: 'field field-check' }, kev, h('label', { for: 'finding-kev' }, 'Known exploited (KEV) only')),
    field('State', state),
    field('Assessment', assessment),
    field('Vulnerability', vulnerability, 'Any of its ids.'),
    field('Search', search, 'Component name or package URL, or a vulnerability id.'),
    field('Findings per page', limit),
    h('div', { class: 'actions' },
      h('button', { type: 'submit' }, 'Apply'),
      h('a', { href: '#/findings', class: 'button button-quiet' }, 'Reset')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    navigate(findingsRoute({
      product: product.value.trim(),
      release: release.value.trim(),
      severity: [...severities.querySelectorAll('input:checked')].map((c) => c.value),
      kev: kev.checked,
      state: state.value,
      assessment: assessment.value,
      vulnerability: vulnerability.value.trim(),
      search: search.value.trim(),
      offset: 0,
      limit: limit.value,
    }));
  });
  view.append(form);

  const page = await api.get('/findings', {
    product: filters.product,
    release: filters.release,
    severity: filters.severity.join(','),
    kev: filters.kev ? 'true' : null,
    state: filters.state,
    assessment: filters.assessment,
    vulnerability: filters.vulnerability,
    search: filters.search,
    offset: filters.offset,
    limit: filters.limit,
  });
  const bulk = can('finding.assess') ? bulkAssessment(page.items, { navigate, announce, query }) : null;
  // Focus goes to the heading after a filter is applied; say what it found.
  announce(page.total === 0 ? 'No finding matches these filters.' : `${page.total} finding${page.total === 1 ? ' matches' : 's match'}.`);
  const size = Number(filters.limit);
  const first = page.total === 0 ? 0 : page.offset + 1;
  const last = page.offset + page.items.length;
  const pageLink = (offset, text, enabled) => (enabled
    ? h('a', { href: `#${findingsRoute({ ...filters, offset: Math.max(0, offset) })}`, class: 'button' }, text)
    : h('span', { class: 'button button-quiet', 'aria-disabled': 'true' }, text));
  view.append(
    h('nav', { class: 'pager', 'aria-label': 'Finding pages' },
      pageLink(page.offset - size, '← Previous', page.offset > 0),
      h('span', { id: 'finding-count' }, page.total === 0 ? 'No findings' : `Findings ${first}–${last} of ${page.total}`),
      pageLink(page.offset + size, 'Next →', last < page.total)),
    table('Findings, most severe first', [
      ...(bulk ? [bulk.all] : []),
      'Severity', 'KEV', 'Vulnerability', 'Product', 'Release', 'Component', 'Fixed in', 'Assessment', 'First seen',
    ], page.items.map((f) => [
      ...(bulk ? [bulk.box(f)] : []),
      severityBadge(f.severity, f.score),
      f.kev ? kevMark(true) : h('span', { class: 'muted' }, '—'),
      [h('a', {
        href: `#${route(['findings', f.id])}`,
        class: 'id',
        title: f.vulnerability.aliases.length ? `Also known as ${f.vulnerability.aliases.join(', ')}` : null,
      }, f.vulnerability.id),
      f.vulnerability.aliases.length
        ? h('span', { class: 'visually-hidden' }, ` (also ${f.vulnerability.aliases.join(', ')})`) : null],
      f.product,
      f.release,
      h('span', { title: f.component.purl ?? null }, componentText(f.component)),
      f.fixed_versions.length ? f.fixed_versions.join(', ') : h('span', { class: 'muted' }, 'no fix known'),
      assessmentCell(f),
      timestamp(f.first_seen),
    ]), { empty: 'No finding matches these filters.', hideCaption: true }),
  );
  if (bulk && page.items.length > 0) view.append(bulk.form);
}

/**
 * Assessing several findings at once (`POST /api/v1/findings/assessments`): a checkbox per
 * row, one to select the whole page, and a short form — status, justification, responses,
 * statements, scope. A determination is made one finding at a time, with its signature.
 */
function bulkAssessment(items, { navigate, announce, query }) {
  const boxes = [];
  const box = (f) => {
    const input = h('input', { type: 'checkbox', name: 'finding', value: String(f.id), id: `bulk-${f.id}`,
      'aria-label': `Select ${f.vulnerability.id} in ${f.component.name} (${f.release})` });
    boxes.push(input);
    return input;
  };
  const all = h('input', { type: 'checkbox', id: 'bulk-all', 'aria-label': 'Select every finding on this page' });
  all.addEventListener('change', () => { for (const b of boxes) b.checked = all.checked; });
  const status = select('status', 'bulk-status', STATUSES, 'under_investigation');
  const justification = select('justification', 'bulk-justification', [['', '—'], ...JUSTIFICATIONS], '');
  const justificationField = field('Justification', justification, 'Required for “not affected”, unless an impact statement says why.');
  const responses = h('fieldset', { class: 'checks' }, h('legend', null, 'Responses'),
    RESPONSES.map(([value, label]) => h('span', { class: 'field-check' },
      h('input', { type: 'checkbox', name: 'responses', value, id: `bulk-response-${value}` }),
      h('label', { for: `bulk-response-${value}` }, label))));
  const impact = textarea('impact_statement', 'bulk-impact', '');
  const action = textarea('action_statement', 'bulk-action', '');
  const details = textarea('details', 'bulk-details', '');
  const scope = select('scope', 'bulk-scope', SCOPES, 'finding');
  const feedback = h('div', { id: 'bulk-feedback', tabindex: '-1', 'aria-live': 'assertive' });
  const submit = h('button', { type: 'submit' }, 'Assess the selected findings');
  const form = h('form', { class: 'stacked assess-form', 'aria-labelledby': 'bulk-title', novalidate: true },
    feedback,
    field('Status', status),
    justificationField,
    field('Impact statement', impact),
    responses,
    field('Action statement', action),
    field('Details', details),
    field('Scope', scope, 'Each finding’s decision also reaches the same component in other releases.'),
    submit);
  const sync = () => { justificationField.hidden = status.value !== 'not_affected'; };
  status.addEventListener('change', sync);
  sync();
  const text = (control) => control.value.trim() || null;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const findings = boxes.filter((b) => b.checked).map((b) => Number(b.value));
    if (findings.length === 0) {
      replace(feedback, h('p', { class: 'alert alert-error', role: 'alert' }, 'Select at least one finding in the table.'));
      feedback.focus();
      return;
    }
    submit.disabled = true;
    replace(feedback, h('p', { class: 'muted' }, 'Saving…'));
    try {
      const outcome = await api.post('/findings/assessments', {
        findings,
        status: status.value,
        justification: status.value === 'not_affected' ? text(justification) : null,
        impact_statement: text(impact),
        responses: [...responses.querySelectorAll('input:checked')].map((c) => c.value),
        action_statement: text(action),
        details: text(details),
        scope: scope.value,
      });
      const message = `${outcome.decisions.length} finding${outcome.decisions.length === 1 ? '' : 's'} assessed as ${words(status.value)}`
        + (outcome.inherited.length ? `; ${outcome.inherited.length} more inherited the decision` : '')
        + (outcome.flagged.length ? `; ${outcome.flagged.length} flagged for a re-review` : '') + '.';
      listFlash = message;
      announce(message);
      navigate(findingsRoute(filtersOf(query)));
    } catch (error) {
      replace(feedback, errorBox(error));
      feedback.focus();
    } finally {
      submit.disabled = false;
    }
  });
  return {
    all,
    box,
    form: h('section', { class: 'card', 'aria-labelledby': 'bulk-title' },
      h('h2', { id: 'bulk-title' }, 'Assess several findings'),
      h('p', { class: 'hint' }, `Select findings in the table (${items.length} on this page), then record one assessment for all of them.`),
      form),
  };
}

// One finding.

/** A message to show once on the next render of a detail page (after saving). */
let flash = null;

async function renderDetail({ view, heading, params, can, me, navigate, announce }) {
  const id = Number(params[0]);
  const detail = await api.get(`/findings/${id}`);
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
    summarySection(f),
    matchSection(f),
    severitySection(f),
    signalsSection(detail.triage.signals),
    assessmentSection(detail.triage.assessment, f),
    determinationSection(detail.triage),
    caseSection(detail.case),
    historySection(detail.history),
  );
  if (can('finding.assess')) {
    view.append(assessForm(detail, { can, me, navigate, announce }));
  }
}

function card(id, title, ...content) {
  return h('section', { class: 'card', 'aria-labelledby': id }, h('h2', { id }, title), ...content);
}

function summarySection(f) {
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
      ['Action statement', a.action_statement],
      ['Details', a.details],
      ['Assignee', a.assignee],
      ['Device CVSS vector', a.cvss_vector
        ? [h('code', { class: 'vector' }, a.cvss_vector), a.cvss_score === null ? null : ` (${Number(a.cvss_score).toFixed(1)})`]
        : null],
      ['Rubric answers', a.rubric_vector ? h('code', null, a.rubric_vector) : null],
      ['Harm severity', a.harm_severity],
      ['Essential clinical performance', a.essential_clinical_performance_affected === null
        || a.essential_clinical_performance_affected === undefined ? null
        : (a.essential_clinical_performance_affected ? 'affected' : 'not affected')],
      ['Decided', [timestamp(a.made_at), ` by ${a.made_by}`]],
    ]),
    a.controls.length ? controlTable(a.controls) : null);
}

function controlTable(controls) {
  return table('Compensating controls', ['Control', 'Evidence', 'Effective'],
    controls.map((c) => [c.description, c.evidence, c.effective ? 'yes' : 'no']));
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
    ['Essential clinical performance', d.essential_clinical_performance_affected ? 'affected' : 'not affected'],
    ['Exploitability', d.exploitability],
    ['Patch path', patchPath(d.patch_path)],
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
    h('p', { class: 'muted' }, 'Whether the risk to essential clinical performance is controlled (FDA postmarket guidance, 2016).'),
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

// The assessment form.

/** A select from [value, label] pairs. */
function select(name, id, options, chosen) {
  return h('select', { name, id },
    options.map(([value, label]) => h('option', { value, selected: value === chosen }, label)));
}

function textarea(name, id, value) {
  return h('textarea', { name, id, rows: '3' }, value ?? '');
}

/** One row of the compensating-controls editor. */
function controlRow(number, onRemove) {
  const description = h('input', { type: 'text', name: 'control_description', id: `control-${number}-description` });
  const evidence = h('input', { type: 'text', name: 'control_evidence', id: `control-${number}-evidence` });
  const effective = h('input', { type: 'checkbox', name: 'control_effective', id: `control-${number}-effective`, checked: true });
  const row = h('fieldset', { class: 'control-row' },
    h('legend', null, `Control ${number}`),
    field('What it is', description),
    field('Evidence', evidence, 'A document id or test report.'),
    h('div', { class: 'field-check' }, effective,
      h('label', { for: effective.id }, 'Prevents or substantially hinders exploitation')),
    h('button', { type: 'button', class: 'button-quiet', 'aria-label': `Remove control ${number}`, onclick: () => onRemove(row) }, 'Remove'));
  row.values = () => ({ description: description.value.trim(), evidence: evidence.value.trim(), effective: effective.checked });
  row.focusFirst = () => description.focus();
  return row;
}

/** The 21 CFR 11.50 manifestation the signature will carry: printed name, date and time, meaning. */
function manifestation(me, meaning, now = new Date()) {
  const stamp = now.toISOString().slice(0, 19).replace('T', ' ');
  return `Signed by ${me.display_name} on ${stamp} (UTC) — ${meaning}`;
}

/**
 * The MITRE/MDIC rubric for applying CVSS to medical devices, as a questionnaire inside the
 * assessment form: per CVSS base metric, each decision flow from its first question, the next
 * question shown as answers lead to it, until an answer sets the metric's value. "Score the
 * answers" asks the server for the base vector (written into the device vector field) and
 * keeps the extended vector of the answers, which is saved with the assessment.
 */
function rubricQuestionnaire(cvss, announce) {
  const answers = new Map();
  let rubric = null;
  let scored = null;
  const flows = h('div', { class: 'rubric-flows' });
  const result = h('p', { id: 'rubric-result', 'aria-live': 'polite' });
  const score = h('button', { type: 'button', id: 'rubric-score' }, 'Score the answers');
  const question = (id) => rubric.questions.find((q) => q.id === id);

  /** The questions a flow reaches from its root with the answers so far. */
  const reached = (root) => {
    const out = [];
    let current = question(root);
    while (current && out.length < 50) {
      out.push(current);
      const chosen = current.options.find((o) => o.code === answers.get(current.id));
      current = chosen && chosen.next ? question(chosen.next) : null;
    }
    return out;
  };
  const visible = () => rubric.metrics.flatMap((m) => m.roots.flatMap(reached));

  const draw = () => {
    scored = null;
    replace(result);
    // Answers off the path no longer count (the server refuses them).
    const shown = new Set(visible().map((q) => q.id));
    for (const id of [...answers.keys()]) if (!shown.has(id)) answers.delete(id);
    replace(flows, rubric.metrics.map((m) => h('fieldset', { class: 'rubric-metric' },
      h('legend', null, `${m.title} (${m.name})`),
      m.roots.flatMap(reached).map((q) => {
        const id = `rubric-${q.id}`;
        const choice = h('select', { id, name: `rubric_${q.id}` },
          h('option', { value: '' }, '—'),
          q.options.map((o) => h('option', { value: o.code, selected: answers.get(q.id) === o.code }, o.label)));
        choice.addEventListener('change', () => {
          if (choice.value) answers.set(q.id, choice.value); else answers.delete(q.id);
          draw();
          document.getElementById(id)?.focus();
        });
        return field(`${q.number}${q.category ? ` (${q.category})` : ''}: ${q.text}`, choice);
      }))));
  };

  const body = h('div', { class: 'rubric-body' },
    h('p', { class: 'hint' }, 'Answer each question for this device; unknown answers score the worst case.'),
    flows, h('div', { class: 'actions' }, score), result);
  const element = h('details', { class: 'rubric', id: 'assess-rubric' },
    h('summary', null, 'Derive the device vector with the medical-device rubric (MITRE/MDIC)'),
    body);
  element.addEventListener('toggle', async () => {
    if (!element.open || rubric !== null) return;
    try {
      rubric = await api.get('/rubric');
      draw();
    } catch (error) {
      replace(flows, errorBox(error));
    }
  });
  score.addEventListener('click', async () => {
    if (rubric === null) return;
    const vector = [rubric.extended_vector_prefix,
      ...rubric.questions.filter((q) => answers.has(q.id)).map((q) => `${q.id}:${answers.get(q.id)}`)].join('/');
    try {
      const out = await api.post('/rubric/score', { extended_vector: vector });
      scored = out.extended_vector;
      cvss.value = out.base_vector;
      replace(result, `Base vector ${out.base_vector}, score ${out.base_score.toFixed(1)} (${out.severity}); written into the device vector above.`);
      announce(`Rubric scored: ${out.base_score.toFixed(1)}, ${out.severity}.`);
    } catch (error) {
      scored = null;
      replace(result, errorBox(error));
    }
  });
  return { element, extended: () => scored };
}

function assessForm(detail, { can, me, navigate, announce }) {
  const f = detail.finding;
  const a = detail.triage.assessment;
  const current = a && !a.inherited ? a : null;

  const status = select('status', 'assess-status', STATUSES, a ? a.status : 'under_investigation');
  const justification = select('justification', 'assess-justification',
    [['', '— choose —'], ...JUSTIFICATIONS.map(([value, label, claim]) => [value, `${label}: ${claim}`])],
    a?.justification ?? '');
  const justificationField = field('Justification (CycloneDX)', justification,
    'Required for “not affected” unless the impact statement says why.');
  const responses = h('fieldset', { class: 'checks' },
    h('legend', null, 'Responses'),
    RESPONSES.map(([value, label]) => h('span', { class: 'field-check' },
      h('input', { type: 'checkbox', name: 'responses', value, id: `assess-response-${value}`, checked: (a?.responses ?? []).includes(value) }),
      h('label', { for: `assess-response-${value}` }, label))));
  const impact = textarea('impact_statement', 'assess-impact', a?.impact_statement);
  const action = textarea('action_statement', 'assess-action', a?.action_statement);
  const details = textarea('details', 'assess-details', a?.details);
  const assignee = h('input', { type: 'text', name: 'assignee', id: 'assess-assignee', value: a?.assignee ?? '', autocomplete: 'off' });
  const scope = select('scope', 'assess-scope', SCOPES, current?.scope ?? 'finding');
  const versions = h('input', { type: 'text', name: 'versions', id: 'assess-versions', value: current?.versions ?? '', autocomplete: 'off', placeholder: f.component.version ? `=${f.component.version}` : '*' });
  const cvss = h('input', { type: 'text', name: 'cvss_vector', id: 'assess-cvss', value: a?.cvss_vector ?? '', autocomplete: 'off', spellcheck: 'false', placeholder: 'CVSS:3.1/AV:N/AC:L/…' });
  const rubric = rubricQuestionnaire(cvss, announce);

  // The determination: shown in full once a harm severity is chosen.
  const harm = select('harm', 'assess-harm', [['', '— no determination —'], ...HARMS], '');
  const ecp = h('input', { type: 'checkbox', name: 'essential_clinical_performance_affected', id: 'assess-ecp', checked: true });
  const controls = h('div', { class: 'controls' });
  let controlCount = 0;
  const removeControl = (row) => {
    row.remove();
    addControl.focus();
  };
  const addControl = h('button', { type: 'button', class: 'button-quiet', id: 'assess-add-control' }, 'Add a compensating control');
  addControl.addEventListener('click', () => {
    controlCount += 1;
    const row = controlRow(controlCount, removeControl);
    controls.append(row);
    row.focusFirst();
  });
  const override = select('override_outcome', 'assess-override',
    [['', '— keep what the policy computes —'], ['controlled', 'controlled'], ['uncontrolled', 'uncontrolled']], '');
  const rationale = textarea('override_rationale', 'assess-override-rationale', '');
  const rationaleField = field('Override rationale', rationale, 'Required with an override; kept with the determination.');

  const login = h('input', { type: 'text', name: 'login', id: 'assess-login', autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false' });
  const password = h('input', { type: 'password', name: 'password', id: 'assess-password', autocomplete: 'current-password' });
  const meaning = select('meaning', 'assess-meaning', MEANINGS, 'authorship');
  const reason = h('input', { type: 'text', name: 'reason', id: 'assess-reason', autocomplete: 'off' });
  const preview = h('p', { class: 'manifestation', id: 'assess-manifestation' });
  const showPreview = () => replace(preview, manifestation(me, meaning.value));
  meaning.addEventListener('change', showPreview);
  const signature = h('fieldset', { class: 'signature' },
    h('legend', null, 'Electronic signature (21 CFR Part 11)'),
    can('record.sign') ? null : h('p', { class: 'alert alert-error' },
      'Your roles do not include signing (record.sign): a determination will be refused.'),
    h('p', { class: 'hint' }, 'A determination is signed. Your login and password identify you; the record will show:'),
    preview,
    field('Your login', login, `You are logged in as ${me.login}.`),
    field('Password', password),
    field('Meaning of the signature', meaning),
    field('Comment (optional)', reason));
  const determinationBody = h('div', { class: 'determination-body' },
    h('div', { class: 'field-check' }, ecp, h('label', { for: 'assess-ecp' }, 'Essential clinical performance is affected')),
    h('fieldset', { class: 'checks' }, h('legend', null, 'Compensating controls'), controls, addControl),
    field('Override the outcome', override),
    rationaleField,
    signature);
  const determination = h('fieldset', { class: 'determination' },
    h('legend', null, 'Determination (optional)'),
    h('p', { class: 'hint' }, 'Choose a harm severity to determine whether the risk to essential clinical performance is controlled; this starts the regulatory clocks and needs your signature.'),
    field('Harm severity (ISO 14971)', harm),
    determinationBody);

  const feedback = h('div', { id: 'assess-feedback', tabindex: '-1', 'aria-live': 'assertive' });
  const submit = h('button', { type: 'submit' }, 'Save the assessment');
  const form = h('form', { class: 'stacked assess-form', 'aria-labelledby': 'assess-title', novalidate: true },
    feedback,
    field('Status', status),
    justificationField,
    field('Impact statement', impact, 'Why the product is not affected, in words.'),
    responses,
    field('Action statement', action, 'What users should do (required for “affected”).'),
    field('Details', details),
    field('Assignee', assignee),
    field('Scope', scope, 'Findings of the same component in other releases inherit the decision.'),
    field('Versions covered', versions, 'Of the component: * or =1.2.3 or >=1.0,<2.0; empty means exactly this finding’s version.'),
    field('Device CVSS vector', cvss, 'The base vector rescored for the device (optional).'),
    rubric.element,
    determination,
    submit);

  const sync = () => {
    justificationField.hidden = status.value !== 'not_affected';
    determinationBody.hidden = harm.value === '';
    rationaleField.hidden = override.value === '';
    if (!determinationBody.hidden) showPreview();
  };
  status.addEventListener('change', sync);
  harm.addEventListener('change', sync);
  override.addEventListener('change', sync);
  sync();

  const text = (control) => control.value.trim() || null;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    for (const invalid of form.querySelectorAll('[aria-invalid]')) invalid.removeAttribute('aria-invalid');
    const body = {
      status: status.value,
      justification: status.value === 'not_affected' ? text(justification) : null,
      impact_statement: text(impact),
      responses: [...responses.querySelectorAll('input:checked')].map((c) => c.value),
      action_statement: text(action),
      details: text(details),
      assignee: text(assignee),
      scope: scope.value,
      versions: text(versions),
      cvss_vector: text(cvss),
      rubric: rubric.extended(),
    };
    if (harm.value) {
      Object.assign(body, {
        harm: harm.value,
        essential_clinical_performance_affected: ecp.checked,
        controls: [...controls.querySelectorAll('.control-row')].map((row) => row.values())
          .filter((c) => c.description || c.evidence),
        override_outcome: override.value || null,
        override_rationale: override.value ? text(rationale) : null,
        signature: { login: text(login), password: password.value, meaning: meaning.value, reason: text(reason) },
      });
    }
    submit.disabled = true;
    replace(feedback, h('p', { class: 'muted' }, 'Saving…'));
    try {
      const saved = await api.call('PUT', `/findings/${f.id}/assessment`, { body });
      const a2 = saved.triage.assessment;
      flash = {
        id: f.id,
        text: `Assessment saved: ${words(a2 ? a2.status : body.status)}`
          + (saved.triage.determination && body.harm ? `; determination ${saved.triage.determination.outcome}, signed.` : '.'),
      };
      announce(flash.text);
      navigate(route(['findings', f.id]));
    } catch (error) {
      password.value = '';
      replace(feedback, errorBox(error));
      // Point at the field the message names, when it names one.
      const message = String(error.message ?? '');
      const named = [...form.elements].find((el) => el.name && el.name !== 'status'
        && !el.closest('[hidden]') && new RegExp(`\\b${el.name}\\b`).test(message));
      if (named) {
        named.setAttribute('aria-invalid', 'true');
        named.focus();
      } else {
        feedback.focus();
      }
    } finally {
      submit.disabled = false;
    }
  });

  return h('section', { class: 'card', 'aria-labelledby': 'assess-title' },
    h('h2', { id: 'assess-title' }, a ? 'Change the assessment' : 'Assess'),
    a && a.inherited
      ? h('p', { class: 'hint' }, `The decision that applies was made on finding ${a.made_on_finding}; saving here records one for this finding.`)
      : null,
    form);
}
