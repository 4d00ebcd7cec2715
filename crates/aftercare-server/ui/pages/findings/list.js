// The findings list: filters kept in the address (so a filtered view can be shared), a page
// of findings most severe first, and the form that assesses the selected ones.

import * as api from '../../api.js';
import { h, table, route, field, badge, replace } from '../../dom.js';
import { timestamp } from '../../format.js';
import { vocabulary } from '../../vocabulary.js';
import { bulkAssessment } from './assess.js';
import { newPlanRoute } from '../plans.js';
import { SEVERITIES, STATUS_BADGES, severityBadge, kevMark, componentText, words } from './text.js';

const STATES = ['open', 'closed', 'all'];
const LIMITS = ['25', '50', '100', '200'];
const DEFAULT_LIMIT = '50';

/** The assessment filter's options: the states of triage, then every VEX status the server knows. */
function assessments(terms) {
  return [
    ['', 'any'],
    ['unassessed', 'not assessed'],
    ['assessed', 'assessed'],
    ['needs_review', 'needs a re-review'],
    ...terms.vex_statuses.map((status) => [status.value, status.label.toLowerCase()]),
  ];
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

/** The list of findings (`#/findings?…`): filters, a page of findings, and the bulk form. */
export async function renderList({ view, heading, query, navigate, can, announce }) {
  heading('Findings');
  if (listFlash !== null) {
    view.append(h('p', { class: 'alert alert-ok', role: 'status' }, listFlash));
    listFlash = null;
  }
  const filters = filtersOf(query);
  const terms = await vocabulary();
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
    assessments(terms).map(([value, label]) => h('option', { value, selected: filters.assessment === value }, label)));
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
  const bulk = can('finding.assess')
    ? bulkAssessment(page.items, terms, {
      announce,
      onSaved: (message) => {
        listFlash = message;
        navigate(findingsRoute(filtersOf(query)));
      },
    })
    : null;
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
  if (bulk && page.items.length > 0) {
    view.append(bulk.form);
    if (can('patch.manage')) view.append(planFromSelection(page.items, bulk.selected, navigate));
  }
}

/**
 * Creating a remediation plan from the findings selected in the table: the plan form opens
 * with them (a plan remediates the findings of one product).
 */
function planFromSelection(items, selected, navigate) {
  const feedback = h('div', { id: 'plan-selection-feedback', tabindex: '-1', 'aria-live': 'assertive' });
  const button = h('button', { type: 'button', id: 'plan-from-selection' }, 'Create a plan from the selected findings');
  button.addEventListener('click', () => {
    const ids = selected();
    const products = [...new Set(items.filter((f) => ids.includes(f.id)).map((f) => f.product))];
    if (ids.length === 0 || products.length !== 1) {
      replace(feedback, h('p', { class: 'alert alert-error', role: 'alert' }, ids.length === 0
        ? 'Select at least one finding in the table.'
        : 'A plan remediates the findings of one product: select findings of one product.'));
      feedback.focus();
      return;
    }
    navigate(newPlanRoute(products[0], ids));
  });
  return h('section', { class: 'card', 'aria-labelledby': 'plan-selection-title' },
    h('h2', { id: 'plan-selection-title' }, 'Remediate the selected findings'),
    h('p', { class: 'hint' }, 'Opens the plan form with the findings selected in the table.'),
    feedback, button);
}
