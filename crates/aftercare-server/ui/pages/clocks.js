// Regulatory clocks and cases: the list with filters, and a case with its awareness date,
// risk, clocks (deadlines in the policy's time zone and in UTC) and event log.

import * as api from '../api.js';
import { h, table, link, route, facts, field, badge, pre } from '../dom.js';
import { timestamp, deadline, relative, parse } from '../format.js';

export const nav = { label: 'Clocks', route: '/clocks', permission: 'finding.read', also: ['/cases/'] };

export const routes = [
  { pattern: /^\/clocks$/, permission: 'finding.read', render: renderList },
  { pattern: /^\/cases\/([^/]+)\/([^/]+)$/, permission: 'finding.read', render: renderCase },
];

const KIND_LABELS = {
  customer_communication: 'Customer communication (FDA 2016)',
  remediation: 'Remediation: fix distributed (FDA 2016)',
  isao_sharing: 'Share with the ISAO (FDA 2016)',
  report_806: 'Correction or removal report (21 CFR 806)',
  regular_patch_cycle: 'Regular patch cycle (524B)',
  mdr_803: 'Medical device report (21 CFR 803)',
  mdr_803_5day: 'Five-day report (21 CFR 803.53)',
  mdr_803_supplemental: 'Supplemental report (21 CFR 803.56)',
  eu_mdr_art87: 'EU serious incident (MDR Art. 87)',
  eu_mdr_art87_public_health_threat: 'EU public health threat (MDR Art. 87(4))',
  eu_mdr_art87_death_or_serious_deterioration: 'EU death or serious deterioration (MDR Art. 87(5))',
  disclosure_ack: 'Acknowledge the report (ISO/IEC 29147)',
};

/** A clock kind in words (unknown kinds as they are). */
export function kindLabel(kind) {
  return KIND_LABELS[kind] ?? kind.replaceAll('_', ' ');
}

const STATE_BADGES = { open: 'warn', met: 'ok', missed: 'bad', waived: 'neutral' };

/**
 * Whether a clock is overdue: open past its deadline, or missed and still not satisfied
 * (as aftercare_risk's `Clock::is_overdue`).
 */
export function isOverdue(clock, now = new Date()) {
  const end = parse(clock.deadline_end);
  if (clock.state === 'open') return end !== null && end < now;
  return clock.state === 'missed' && clock.satisfied_at === null;
}

/** A clock's state as a badge; an overdue clock says so. */
export function stateBadge(clock, now = new Date()) {
  if (isOverdue(clock, now)) return badge('bad', clock.state === 'open' ? 'open, overdue' : 'missed, not yet done');
  if (clock.state === 'missed') return badge('bad', 'missed, done late');
  return badge(STATE_BADGES[clock.state] ?? 'neutral', clock.state);
}

export const CLOCK_COLUMNS = ['Product', 'Vulnerability', 'Clock', 'State', 'Day 0', 'Deadline (policy time zone, UTC)', 'Time left'];

/**
 * The signatures of a signed record with their 21 CFR 11.50 manifestation (printed name, date
 * and time, meaning), each marked when the record changed after it was signed.
 */
export function signatureList(signatures) {
  return (signatures ?? []).map((sig) => h('div', { class: 'signed-by' },
    sig.state === 'valid' ? badge('ok', 'signed') : badge('bad', sig.state),
    ' ', sig.manifestation,
    sig.reason ? h('span', { class: 'muted' }, ` — “${sig.reason}”`) : null));
}

/** A waiver with its rationale and signatures (an unsigned waiver says so). */
function waiverNote(c) {
  if (!c.waiver) return null;
  const signatures = c.signatures ?? [];
  return h('div', null, h('p', null, h('strong', null, 'Waived: '), c.waiver),
    signatures.length ? signatureList(signatures) : badge('warn', 'waiver not signed'));
}

/** Table rows of clocks, linking each to its case. */
export function clockRows(clocks) {
  return clocks.map((c) => [
    c.product,
    h('a', { href: `#${route(['cases', c.product, c.vulnerability])}`, class: 'id' }, c.vulnerability),
    [kindLabel(c.kind), c.reference ? h('span', { class: 'muted' }, ` ${c.reference}`) : null],
    [stateBadge(c), (c.signatures ?? []).length ? signatureList(c.signatures) : null],
    c.start,
    deadline(c.deadline_end, c.time_zone),
    c.state === 'open' || isOverdue(c) ? relative(c.deadline_end) : '—',
  ]);
}

async function renderList({ view, heading, query, navigate, can }) {
  heading('Regulatory clocks');
  const state = h('select', { name: 'state', id: 'clock-state' },
    ['', 'open', 'met', 'missed', 'waived'].map((s) =>
      h('option', { value: s, selected: (query.get('state') ?? '') === s }, s === '' ? 'any state' : s)));
  const products = can('inventory.read') ? await api.get('/products').catch(() => null) : null;
  const product = products
    ? h('select', { name: 'product', id: 'clock-product' },
      h('option', { value: '' }, 'all products'),
      products.map((p) => h('option', { value: p.name, selected: query.get('product') === p.name }, p.name)))
    : h('input', { type: 'text', name: 'product', id: 'clock-product', value: query.get('product') ?? '' });
  const due = h('input', {
    type: 'number', name: 'due_within_days', id: 'clock-due', min: '0', max: '3650', inputmode: 'numeric',
    value: query.get('due_within_days') ?? '',
  });
  const overdue = h('input', { type: 'checkbox', name: 'overdue', id: 'clock-overdue', checked: query.get('overdue') === 'true' });
  const form = h('form', { class: 'filters', 'aria-label': 'Filter clocks' },
    field('State', state),
    field('Product', product),
    field('Due within (days)', due, 'Open clocks only; includes overdue ones.'),
    h('div', { class: 'field field-check' }, overdue, h('label', { for: 'clock-overdue' }, 'Overdue only')),
    h('div', { class: 'actions' },
      h('button', { type: 'submit' }, 'Apply'),
      h('a', { href: '#/clocks', class: 'button button-quiet' }, 'Reset')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    navigate(route(['clocks'], {
      state: state.value, product: product.value.trim(), due_within_days: due.value, overdue: overdue.checked ? 'true' : '',
    }));
  });
  view.append(form);
  const clocks = await api.get('/clocks', {
    state: query.get('state'),
    product: query.get('product'),
    due_within_days: query.get('due_within_days'),
    overdue: query.get('overdue') === 'true' ? 'true' : null,
  });
  view.append(
    h('p', { class: 'muted' }, `${clocks.length} clock${clocks.length === 1 ? '' : 's'}, soonest deadline first.`),
    table('Regulatory clocks', CLOCK_COLUMNS, clockRows(clocks), { empty: 'No clock matches these filters.', hideCaption: true }),
  );
}

const BASIS_LABELS = {
  first_match: 'first match in a release of the product',
  report_received: 'a vulnerability report was received',
  advisory_received: 'a supplier advisory was received',
};

export function awarenessBasis(basis) {
  if (!basis) return null;
  if (basis.startsWith('analyst: ')) return `entered by an analyst: ${basis.slice('analyst: '.length)}`;
  return BASIS_LABELS[basis] ?? basis;
}

function prettyJson(text) {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** A case's clocks: kind, state, day 0, days, deadline, satisfied, source. */
export function caseClockTable(clocks) {
  return table('The case’s clocks',
    ['Clock', 'State', 'Day 0 (basis)', 'Days', 'Deadline (policy time zone, UTC)', 'Satisfied', 'Source'],
    clocks.map((c) => [
      [kindLabel(c.kind), c.reference ? h('span', { class: 'muted' }, ` ${c.reference}`) : null,
        c.note ? h('p', { class: 'muted' }, c.note) : null,
        waiverNote(c)],
      stateBadge(c),
      `${c.start} (${c.basis.replaceAll('_', ' ')})`,
      `${c.days} ${c.day_kind} days`,
      [deadline(c.deadline_end, c.time_zone), h('br'), h('span', { class: 'muted' }, `day N is ${c.deadline_day}`)],
      c.satisfied_at ? timestamp(c.satisfied_at) : '—',
      h('span', { class: 'source' }, c.source, h('br'), h('span', { class: 'muted' }, 'policy '),
        h('code', { class: 'hash', title: c.policy_digest }, c.policy_digest.slice(0, 12))),
    ]),
    { empty: 'No clock runs for this case.', hideCaption: true });
}

/** A case's event log, in the order the events were applied. */
export function caseEventTable(events) {
  return table('The events applied to the case, in order',
    ['When', 'Event', 'Details', 'Recorded by'],
    events.map((e) => [
      timestamp(e.at),
      e.kind.replaceAll('_', ' '),
      e.detail && e.detail !== '{}' && e.detail !== 'null' ? pre(prettyJson(e.detail), `Details of ${e.kind}`) : '—',
      e.actor,
    ]),
    { empty: 'No events yet.', hideCaption: true });
}

async function renderCase({ view, heading, params }) {
  const [product, vulnerability] = params;
  const found = await api.get(`/cases/${encodeURIComponent(product)}/${encodeURIComponent(vulnerability)}`);
  heading(`${found.vulnerability} in ${found.product}`,
    h('p', { class: 'breadcrumb' }, link('/clocks', 'Clocks'), ' › case ', String(found.id)));
  const risk = found.risk === null
    ? badge('neutral', 'not determined yet')
    : badge(found.risk === 'uncontrolled' ? 'bad' : 'ok', found.risk);
  view.append(
    facts([
      ['Product', found.product],
      ['Vulnerability', h('code', null, found.vulnerability)],
      ['Awareness date', found.awareness_date ?? 'not known yet'],
      ['Awareness from', awarenessBasis(found.awareness_basis)],
      ['Residual risk of patient harm', risk],
      ['Correction started', found.correction_started],
    ]),
    h('h2', null, 'Clocks'),
    caseClockTable(found.clocks),
    h('h2', null, 'Event log'),
    caseEventTable(found.events),
  );
}
