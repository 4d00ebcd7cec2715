// The dashboard: products, open findings by severity, regulatory clocks that are overdue or due within 30 days, and
// security alerts, each shown only to callers allowed to read it.

import * as api from '../api.js';
import { h, table, link, route, errorBox } from '../dom.js';
import { timestamp, relative } from '../format.js';
import { clockRows, CLOCK_COLUMNS } from './clocks.js';
import { findingsRoute, severityBadge } from './findings.js';

export const nav = { label: 'Dashboard', route: '/' };

export const routes = [{ pattern: /^\/$/, render }];

/** A section that loads its own data and shows its own error. */
function section(title, load, wide = false) {
  const body = h('div', { class: 'section-body', 'aria-busy': 'true' }, h('p', { class: 'muted' }, 'Loading…'));
  const node = h('section', { class: wide ? 'card wide' : 'card' }, h('h2', null, title), body);
  const done = load()
    .then((content) => body.replaceChildren(...[content].flat()))
    .catch((error) => body.replaceChildren(errorBox(error)))
    .finally(() => body.removeAttribute('aria-busy'));
  return { node, done };
}

/** How many findings a filter matches (one item fetched: the page carries the total). */
async function count(filters) {
  return (await api.get('/findings', { ...filters, limit: 1 })).total;
}

/** Open findings by severity, known exploited, and not yet assessed, each linking to the list. */
async function openFindings() {
  const severities = ['critical', 'high', 'medium', 'low', 'unknown'];
  const [bySeverity, kev, unassessed, review] = await Promise.all([
    Promise.all(severities.map((severity) => count({ severity }))),
    count({ kev: true }),
    count({ assessment: 'unassessed' }),
    count({ assessment: 'needs_review' }),
  ]);
  const item = (label, total, filters) => h('li', null,
    h('a', { href: `#${findingsRoute(filters)}` }, label, ': ', h('span', { class: 'num' }, String(total))));
  return [
    h('ul', { class: 'counts', 'aria-label': 'Open findings by severity' },
      severities.map((severity, i) => h('li', null,
        h('a', { href: `#${findingsRoute({ severity: [severity] })}`, 'aria-label': `${bySeverity[i]} open ${severity} findings` },
          severityBadge(severity), ' ', h('span', { class: 'num' }, String(bySeverity[i])))))),
    h('ul', { class: 'counts', 'aria-label': 'Open findings to act on' },
      item('Known exploited (KEV)', kev, { kev: true }),
      item('Not assessed', unassessed, { assessment: 'unassessed' }),
      item('Need a re-review', review, { assessment: 'needs_review' })),
    h('p', null, link('/findings', 'All open findings')),
  ];
}

async function render({ view, heading, can, me }) {
  heading('Dashboard');
  const sections = [];
  if (can('inventory.read')) {
    sections.push(section('Products', async () => {
      const products = await api.get('/products');
      return table('Products and their releases', ['Product', 'Description', 'Releases', 'Registered'],
        products.map((p) => [
          link(route(['products', p.id]), p.name),
          p.description ?? '',
          h('span', { class: 'num' }, String(p.release_count)),
          timestamp(p.created_at),
        ]),
        { empty: 'No products yet: add one with “aftercare product add” or POST /api/v1/products.' });
    }));
  }
  if (can('finding.read')) {
    sections.push(section('Open findings', openFindings, true));
    // Overdue: past the deadline and not yet done (open, or missed and still unsatisfied).
    const overdue = api.get('/clocks', { overdue: true });
    const due = api.get('/clocks', { due_within_days: 30 });
    sections.push(section('Overdue clocks', async () => {
      const clocks = await overdue;
      return [
        table('Regulatory clocks past their deadline and not yet done', CLOCK_COLUMNS, clockRows(clocks),
          { empty: 'No clock is overdue.' }),
        h('p', null, link(route(['clocks'], { state: 'missed' }), 'All missed clocks')),
      ];
    }, true));
    sections.push(section('Clocks due within 30 days', async () => {
      const [late, soon] = await Promise.all([overdue, due]);
      const lateIds = new Set(late.map((c) => c.id));
      const upcoming = soon.filter((c) => !lateIds.has(c.id));
      return [
        table('Open regulatory clocks due within 30 days', CLOCK_COLUMNS, clockRows(upcoming),
          { empty: 'No open clock is due within 30 days.' }),
        h('p', null, link(route(['clocks'], { state: 'open' }), 'All open clocks')),
      ];
    }, true));
  }
  if (can('audit.read')) {
    sections.push(section('Security alerts', async () => {
      const alerts = (await api.get('/alerts')).slice(0, 10);
      return [
        table('The newest security alerts', ['When', 'Kind', 'Account', 'What happened'],
          alerts.map((a) => [
            [timestamp(a.at), h('br'), h('span', { class: 'muted' }, relative(a.at))],
            a.kind,
            a.account_id === null ? '—' : String(a.account_id),
            a.message,
          ]),
          { empty: 'No security alerts.' }),
        h('p', null, link('/audit', 'Audit trail')),
      ];
    }));
  }
  if (sections.length === 0) {
    view.append(h('p', null,
      `Signed in as ${me.display_name}. Your roles (${me.roles.join(', ') || 'none'}) do not grant any of the internal views; `
      + 'the customer views (advisories, your devices) are not in this UI yet.'));
    return;
  }
  view.append(h('div', { class: 'dashboard' }, sections.map((s) => s.node)));
  await Promise.all(sections.map((s) => s.done));
}
