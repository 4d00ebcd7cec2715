// Remediation plans: the list with its filters, the form that creates one (from findings
// selected in the findings list, or from a product and its vulnerabilities), and one plan
// with its findings, the cycle the policy asks for and why, its due date, interim controls,
// patch releases and history, with the actions of its owner: start, attach a patch release,
// cancel with a reason, close.

import * as api from '../api.js';
import { h, table, link, route, facts, field, badge, replace, errorBox } from '../dom.js';
import { timestamp } from '../format.js';
import { severityBadge, kevMark, words } from './findings/text.js';
import { patchPath, patchRoute } from './patch/text.js';

export const nav = { label: 'Plans', route: '/plans', permission: 'finding.read', also: ['/patches/'] };

export const routes = [
  { pattern: /^\/plans$/, permission: 'finding.read', render: renderList },
  { pattern: /^\/plans\/new$/, permission: 'patch.manage', render: renderNew },
  { pattern: /^\/plans\/(\d+)$/, permission: 'finding.read', render: renderDetail },
];

/** The states of a plan, in the order it moves through them. */
export const PLAN_STATES = ['open', 'in_progress', 'patch_built', 'approved', 'distributed', 'closed', 'cancelled'];
const STATE_BADGES = {
  open: 'warn', in_progress: 'warn', patch_built: 'warn', approved: 'ok', distributed: 'ok', closed: 'neutral', cancelled: 'neutral',
};

/** A plan's state as a badge (the word is always written). */
export function planStateBadge(state) {
  return badge(STATE_BADGES[state] ?? 'neutral', words(state));
}

/** The address of the form that creates a plan for some findings of a product. */
export function newPlanRoute(product, findings) {
  return route(['plans', 'new'], { product, findings: findings.join(',') });
}

/** A message to show once on the next render of a plan page (after a change). */
let flash = null;

async function renderList({ view, heading, query, navigate, can, announce }) {
  heading('Remediation plans',
    can('patch.manage') ? h('p', null, h('a', { href: '#/plans/new', class: 'button' }, 'New plan')) : null);
  const products = can('inventory.read') ? await api.get('/products').catch(() => null) : null;
  const chosen = query.get('product') ?? '';
  const product = products
    ? h('select', { name: 'product', id: 'plan-product' },
      h('option', { value: '' }, 'all products'),
      products.map((p) => h('option', { value: p.name, selected: chosen === p.name }, p.name)))
    : h('input', { type: 'text', name: 'product', id: 'plan-product', value: chosen });
  const state = h('select', { name: 'state', id: 'plan-state' },
    h('option', { value: '' }, 'any state'),
    PLAN_STATES.map((s) => h('option', { value: s, selected: query.get('state') === s }, words(s))));
  const form = h('form', { class: 'filters', 'aria-label': 'Filter plans' },
    field('Product', product),
    field('State', state),
    h('div', { class: 'actions' },
      h('button', { type: 'submit' }, 'Apply'),
      h('a', { href: '#/plans', class: 'button button-quiet' }, 'Reset')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    navigate(route(['plans'], { product: product.value.trim(), state: state.value }));
  });
  view.append(form);
  const plans = await api.get('/plans', { product: query.get('product'), state: query.get('state') });
  announce(plans.length === 0 ? 'No plan matches these filters.' : `${plans.length} plan${plans.length === 1 ? ' matches' : 's match'}.`);
  view.append(
    h('p', { class: 'muted', id: 'plan-count' }, `${plans.length} plan${plans.length === 1 ? '' : 's'}, newest first.`),
    table('Remediation plans, newest first', ['Plan', 'Product', 'Target', 'Cycle', 'Owner', 'State', 'Created'],
      plans.map((p) => [
        h('a', { href: `#${route(['plans', p.id])}`, class: 'id' }, `Plan ${p.id}`),
        p.product,
        p.target_version,
        words(p.cycle),
        p.owner,
        planStateBadge(p.state),
        timestamp(p.created_at),
      ]), { empty: 'No plan matches these filters.', hideCaption: true }));
}

/** Text lines `REF` or `REF URL` as references. */
function referencesOf(text) {
  return text.split('\n').map((line) => line.trim()).filter(Boolean).map((line) => {
    const [reference, ...rest] = line.split(/\s+/);
    return { reference, url: rest.join(' ') || null };
  });
}

/** Text lines as a list, without blanks. */
function linesOf(text) {
  return text.split(/[\n,]/).map((line) => line.trim()).filter(Boolean);
}

async function renderNew({ view, heading, query, navigate, me, can, announce }) {
  const products = can('inventory.read') ? await api.get('/products').catch(() => null) : null;
  heading('New remediation plan', h('p', { class: 'breadcrumb' }, link('/plans', 'Plans'), ' › new'));
  const selected = (query.get('findings') ?? '').split(',').map(Number).filter((n) => Number.isInteger(n) && n > 0);
  const chosen = query.get('product') ?? '';
  const product = products
    ? h('select', { name: 'product', id: 'new-plan-product', required: true },
      h('option', { value: '' }, '— choose —'),
      products.map((p) => h('option', { value: p.name, selected: chosen === p.name }, p.name)))
    : h('input', { type: 'text', name: 'product', id: 'new-plan-product', value: chosen, required: true });
  const vulnerabilities = h('textarea', { name: 'vulnerabilities', id: 'new-plan-vulnerabilities', rows: '2', spellcheck: 'false' });
  const findings = h('input', { type: 'text', name: 'findings', id: 'new-plan-findings', value: selected.join(', '), inputmode: 'numeric', autocomplete: 'off' });
  const target = h('input', { type: 'text', name: 'target_version', id: 'new-plan-target', required: true, autocomplete: 'off' });
  const cycle = h('select', { name: 'cycle', id: 'new-plan-cycle' },
    h('option', { value: 'out_of_cycle' }, 'out of cycle'),
    h('option', { value: 'regular' }, 'regular'));
  const review = h('textarea', { name: 'cycle_review', id: 'new-plan-review', rows: '3' });
  const owner = h('input', { type: 'text', name: 'owner', id: 'new-plan-owner', value: me.login, required: true, autocomplete: 'off', autocapitalize: 'none' });
  const changeRequests = h('textarea', { name: 'change_requests', id: 'new-plan-change-requests', rows: '2', spellcheck: 'false' });
  const problemReports = h('textarea', { name: 'problem_reports', id: 'new-plan-problem-reports', rows: '2', spellcheck: 'false' });
  const controlDescription = h('input', { type: 'text', name: 'control_description', id: 'new-plan-control', autocomplete: 'off' });
  const controlEvidence = h('input', { type: 'text', name: 'control_evidence', id: 'new-plan-control-evidence', autocomplete: 'off' });
  const feedback = h('div', { id: 'new-plan-feedback', tabindex: '-1', 'aria-live': 'assertive' });
  const submit = h('button', { type: 'submit' }, 'Create the plan');
  const form = h('form', { class: 'stacked', 'aria-labelledby': 'new-plan-title', novalidate: true },
    feedback,
    field('Product', product),
    field('Vulnerabilities', vulnerabilities, 'Any of their ids, one per line: every open finding of each in the product is named.'),
    field('Findings', findings, selected.length
      ? `${selected.length} finding${selected.length === 1 ? '' : 's'} selected in the findings list (ids, comma-separated).`
      : 'Finding ids, comma-separated (optional when vulnerabilities are given).'),
    field('Target version', target, 'The version the fix will ship in.'),
    field('Cycle', cycle, 'An uncontrolled determination, a KEV entry or a critical score require out of cycle.'),
    field('Review of the regular cycle', review, 'Needed for the regular cycle while a vulnerability has no determination: why it is reasonably justified.'),
    field('Owner', owner, 'A login.'),
    field('Change requests', changeRequests, 'One per line: the reference, then its address if any.'),
    field('Problem reports', problemReports, 'One per line: the reference, then its address if any.'),
    h('fieldset', null, h('legend', null, 'A new interim compensating control (optional)'),
      field('What it is', controlDescription),
      field('Its evidence', controlEvidence, 'Required with a control: a document id or test report.')),
    submit);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const text = (control) => control.value.trim() || null;
    const body = {
      product: product.value.trim(),
      vulnerabilities: linesOf(vulnerabilities.value),
      findings: linesOf(findings.value).map(Number).filter((n) => Number.isInteger(n)),
      target_version: target.value.trim(),
      cycle: cycle.value,
      cycle_review: cycle.value === 'regular' ? text(review) : null,
      owner: owner.value.trim(),
      change_requests: referencesOf(changeRequests.value),
      problem_reports: referencesOf(problemReports.value),
      controls: controlDescription.value.trim() || controlEvidence.value.trim()
        ? [{ description: controlDescription.value.trim(), evidence: controlEvidence.value.trim() }] : [],
    };
    submit.disabled = true;
    replace(feedback, h('p', { class: 'muted' }, 'Saving…'));
    try {
      const plan = await api.post('/plans', body);
      flash = { id: plan.id, text: `Plan ${plan.id} created for ${plan.findings.length} finding${plan.findings.length === 1 ? '' : 's'}.` };
      announce(flash.text);
      navigate(route(['plans', plan.id]));
    } catch (error) {
      replace(feedback, errorBox(error));
      feedback.focus();
    } finally {
      submit.disabled = false;
    }
  });
  view.append(h('section', { class: 'card', 'aria-labelledby': 'new-plan-title' },
    h('h2', { id: 'new-plan-title' }, 'What the plan remediates'), form));
}

function card(id, title, ...content) {
  return h('section', { class: 'card', 'aria-labelledby': id }, h('h2', { id }, title), ...content);
}

function referenceList(list) {
  if (!list.length) return null;
  return h('ul', { class: 'refs' }, list.map((r) => h('li', null, r.url && /^https?:\/\//i.test(r.url)
    ? h('a', { href: r.url, rel: 'noopener noreferrer' }, r.reference)
    : [r.reference, r.url ? h('span', { class: 'muted' }, ` ${r.url}`) : null])));
}

/** The earliest remediation deadline, or the sentence that no clock runs. */
function dueText(plan) {
  if (!plan.due) return h('span', { class: 'muted' }, plan.due_note ?? 'no clock runs for these vulnerabilities');
  return [timestamp(plan.due.end), ' ',
    badge(plan.due.clock_state === 'missed' ? 'bad' : 'warn', plan.due.clock_state),
    h('span', { class: 'muted' }, ` ${plan.due.vulnerability}, day N is ${plan.due.day}`)];
}

async function renderDetail({ view, heading, params, can, navigate, announce }) {
  const id = Number(params[0]);
  const plan = await api.get(`/plans/${id}`);
  heading(`Plan ${plan.id}: ${plan.product} ${plan.target_version}`,
    h('p', { class: 'breadcrumb' }, link('/plans', 'Plans'), ' › plan ', String(plan.id)));
  if (flash && flash.id === id) view.append(h('p', { class: 'alert alert-ok', role: 'status' }, flash.text));
  flash = null;
  const requirement = plan.cycle_requirement;
  view.append(
    card('plan-summary', 'Plan',
      facts([
        ['State', planStateBadge(plan.state)],
        ['Product', plan.product],
        ['Target version', plan.target_version],
        ['Owner', plan.owner],
        ['Cycle', words(plan.cycle)],
        ['The policy asks for', words(requirement.need)],
        ['Why', requirement.reasons.length
          ? h('ul', { class: 'refs' }, requirement.reasons.map((r) => h('li', null, `${r.vulnerability}: ${r.reason} (${words(r.need)})`)))
          : 'nothing requires more than the regular cycle'],
        [plan.state === 'cancelled' ? 'Why cancelled' : 'Review of the regular cycle', plan.reason],
        ['Due', dueText(plan)],
        ['Change requests', referenceList(plan.change_requests) ?? 'none recorded'],
        ['Problem reports', referenceList(plan.problem_reports) ?? 'none recorded'],
        ['Created', timestamp(plan.created_at)],
      ])),
    card('plan-findings', 'Findings it remediates',
      table('The findings the plan remediates', ['Finding', 'Vulnerability', 'Release', 'Component', 'Severity', 'KEV', 'Fixed in', 'Assessment'],
        plan.findings.map((f) => [
          h('a', { href: `#${route(['findings', f.id])}`, class: 'id' }, `Finding ${f.id}`),
          f.vulnerability,
          f.release,
          f.component_version ? `${f.component} ${f.component_version}` : f.component,
          severityBadge(f.severity),
          f.kev ? kevMark(true) : '—',
          f.fixed_versions.length ? f.fixed_versions.join(', ') : 'no fix known',
          f.vex_status ? words(f.vex_status) : h('span', { class: 'muted' }, 'not assessed'),
        ]), { hideCaption: true })),
    card('plan-controls', 'Interim compensating controls',
      table('Interim compensating controls', ['Control', 'Evidence', 'From', 'Verified by'],
        plan.controls.map((c) => [c.description, c.evidence,
          c.source === 'determination' ? `the determination of ${c.vulnerability ?? '?'}` : 'this plan',
          c.verified_by ?? '—']),
        { empty: 'No interim control is recorded.', hideCaption: true })),
    card('plan-patches', 'Patch releases',
      table('The plan’s patch releases', ['Release', 'Chain'],
        plan.patches.map((p) => [
          h('a', { href: `#${patchRoute(plan.product, p.version)}` }, `${plan.product} ${p.version}`),
          h('a', { href: `#${patchRoute(plan.product, p.version, true)}` }, `The chain of ${p.version}`),
        ]), { empty: 'No patch release is attached yet.', hideCaption: true })),
    card('plan-history', 'History',
      table('What happened to the plan, oldest first', ['When', 'Event', 'Details', 'By'],
        plan.events.map((e) => [
          timestamp(e.at),
          words(e.kind),
          eventText(e),
          e.actor,
        ]), { hideCaption: true })),
  );
  if (can('patch.manage')) view.append(actions(plan, { navigate, announce }));
}

/** An event of the history in words. */
function eventText(e) {
  const d = e.detail ?? {};
  if (e.kind === 'state') {
    return [`${words(d.from ?? '?')} → ${words(d.to ?? '?')}`, d.event ? h('span', { class: 'muted' }, ` (${words(d.event)})`) : null,
      d.reason ? h('span', null, `: ${d.reason}`) : null];
  }
  if (e.kind === 'created') return `created for ${(d.findings ?? []).length} finding(s), target ${d.target_version ?? '?'}`;
  return 'changed';
}

/** The owner's actions: start work, attach a patch release, cancel with a reason, close. */
function actions(plan, { navigate, announce }) {
  const feedback = h('div', { id: 'plan-feedback', tabindex: '-1', 'aria-live': 'assertive' });
  const run = async (button, call, message) => {
    button.disabled = true;
    replace(feedback, h('p', { class: 'muted' }, 'Saving…'));
    try {
      await call();
      flash = { id: plan.id, text: message };
      announce(message);
      navigate(route(['plans', plan.id]));
    } catch (error) {
      replace(feedback, errorBox(error));
      feedback.focus();
    } finally {
      button.disabled = false;
    }
  };
  const parts = [feedback];
  if (plan.state === 'open') {
    const start = h('button', { type: 'button', id: 'plan-start' }, 'Start work on the fix');
    start.addEventListener('click', () => run(start, () => api.call('PATCH', `/plans/${plan.id}`, { body: { start: true } }), 'Work on the fix started.'));
    parts.push(h('p', null, start));
  }
  if (['open', 'in_progress', 'patch_built'].includes(plan.state)) {
    const version = h('input', { type: 'text', name: 'version', id: 'plan-attach-version', value: plan.target_version, autocomplete: 'off' });
    const attach = h('button', { type: 'submit' }, 'Attach the release');
    const form = h('form', { class: 'inline-form', 'aria-label': 'Attach a patch release' },
      field('Patch release (version of the product)', version, 'Its SBOM should be imported and matched first.'), attach);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      run(attach, () => api.post(patchPath(plan.product, version.value.trim(), '/attach'), { plans: [plan.id] }),
        `Release ${version.value.trim()} attached as the patch of plan ${plan.id}.`);
    });
    parts.push(form);
  }
  if (plan.state === 'distributed') {
    const close = h('button', { type: 'button', id: 'plan-close' }, 'Close the plan');
    close.addEventListener('click', () => run(close, () => api.post(`/plans/${plan.id}/close`, {}), `Plan ${plan.id} closed.`));
    parts.push(h('p', null, close));
  } else if (!['closed', 'cancelled'].includes(plan.state)) {
    const reason = h('textarea', { name: 'cancel_reason', id: 'plan-cancel-reason', rows: '2' });
    const cancel = h('button', { type: 'submit' }, 'Cancel the plan');
    const form = h('form', { class: 'stacked', 'aria-label': 'Cancel the plan' },
      field('Why it is cancelled', reason, 'Required, in a sentence or more; kept in the history.'), cancel);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      run(cancel, () => api.post(`/plans/${plan.id}/close`, { cancel_reason: reason.value }), `Plan ${plan.id} cancelled.`);
    });
    parts.push(form);
  }
  return card('plan-actions', 'Act on the plan', ...parts);
}
