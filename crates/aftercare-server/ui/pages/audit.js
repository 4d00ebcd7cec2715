// The audit trail: events with filters and paging (oldest first, by sequence number), and a
// check of the hash chain.

import * as api from '../api.js';
import { h, replace, table, route, field, badge, pre, errorBox } from '../dom.js';
import { timestamp, toRfc3339 } from '../format.js';

export const nav = { label: 'Audit trail', route: '/audit', permission: 'audit.read' };

export const routes = [{ pattern: /^\/audit$/, permission: 'audit.read', render }];

const LIMITS = ['50', '100', '500'];

async function render({ view, heading, query, navigate }) {
  heading('Audit trail');
  view.append(verifyPanel());

  const input = (name, hint) => field(hint.label,
    h('input', { type: 'text', name, id: `audit-${name}`, value: query.get(name) ?? '', placeholder: hint.placeholder ?? null }),
    hint.help);
  const limit = h('select', { name: 'limit', id: 'audit-limit' },
    LIMITS.map((l) => h('option', { value: l, selected: (query.get('limit') ?? '100') === l }, l)));
  const form = h('form', { class: 'filters', 'aria-label': 'Filter audit events' },
    input('entity_type', { label: 'Record type', placeholder: 'release' }),
    input('entity_id', { label: 'Record id', help: 'With a record type.' }),
    input('since', { label: 'Since (UTC)', placeholder: 'YYYY-MM-DD or RFC 3339', help: 'At or after; a date means 00:00 UTC.' }),
    input('until', { label: 'Until (UTC)', placeholder: 'YYYY-MM-DD or RFC 3339', help: 'Before.' }),
    field('Events per page', limit),
    h('div', { class: 'actions' },
      h('button', { type: 'submit' }, 'Apply'),
      h('a', { href: '#/audit', class: 'button button-quiet' }, 'Reset')));
  const formError = h('div', { 'aria-live': 'assertive' });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const values = Object.fromEntries(new FormData(form).entries());
    for (const name of ['since', 'until']) {
      const converted = toRfc3339(String(values[name] ?? ''));
      if (converted === null) {
        replace(formError, errorBox({ message: `${name} must be a date (YYYY-MM-DD) or an RFC 3339 time such as 2025-01-31T12:00:00Z` }));
        form.elements[name].focus();
        return;
      }
      values[name] = converted;
    }
    navigate(route(['audit'], { ...values, limit: values.limit === '100' ? '' : values.limit }));
  });
  view.append(form, formError);

  const filter = {
    entity_type: query.get('entity_type'),
    entity_id: query.get('entity_id'),
    since: query.get('since'),
    until: query.get('until'),
    after: query.get('after'),
    limit: query.get('limit') ?? '100',
  };
  const events = await api.get('/audit', filter);
  const pageQuery = (after) => route(['audit'], { ...filter, limit: filter.limit === '100' ? '' : filter.limit, after });
  const last = events.length ? events[events.length - 1].seq : null;
  const full = events.length >= Number(filter.limit);
  view.append(
    h('nav', { class: 'pager', 'aria-label': 'Audit pages' },
      filter.after ? h('a', { href: `#${pageQuery('')}`, class: 'button button-quiet' }, '⇤ First page') : null,
      h('span', null, events.length === 0
        ? 'No events on this page'
        : `Events #${events[0].seq}–#${last}${filter.after ? ` (after #${filter.after})` : ''}`),
      full ? h('a', { href: `#${pageQuery(last)}`, class: 'button' }, 'Next page →') : null),
    table('Audit events, oldest first',
      ['#', 'When', 'Actor', 'Action', 'Record', 'Reason', 'Change', 'Hash'],
      events.map((e) => [
        h('span', { class: 'num' }, String(e.seq)),
        timestamp(e.at),
        e.actor,
        h('code', null, e.action),
        [e.entity_type, e.entity_id ? h('span', { class: 'muted' }, ` ${e.entity_id}`) : null],
        e.reason ?? '—',
        change(e),
        h('code', { class: 'hash', title: `hash ${e.hash}\nprevious ${e.prev_hash}` }, e.hash.slice(0, 12)),
      ]),
      { empty: 'No event matches these filters.', hideCaption: true }),
  );
}

function change(event) {
  if (event.old_value === null && event.new_value === null) return '—';
  const pretty = (text) => {
    try {
      return JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      return text;
    }
  };
  return h('details', null, h('summary', null, 'values'),
    event.old_value !== null ? [h('p', { class: 'muted' }, 'before'), pre(pretty(event.old_value), `Value before event ${event.seq}`)] : null,
    event.new_value !== null ? [h('p', { class: 'muted' }, 'after'), pre(pretty(event.new_value), `Value after event ${event.seq}`)] : null,
    event.request_id ? h('p', { class: 'muted' }, `request ${event.request_id}`) : null);
}

function verifyPanel() {
  const result = h('div', { 'aria-live': 'polite' });
  const button = h('button', { type: 'button', id: 'verify-chain' }, 'Verify chain');
  button.addEventListener('click', async () => {
    button.disabled = true;
    replace(result, h('p', { class: 'muted' }, 'Walking the whole chain…'));
    try {
      const v = await api.get('/audit/verify');
      replace(result, v.intact
        ? h('div', { class: 'alert alert-ok', role: 'status' },
          badge('ok', 'intact'), ` All ${v.events} events verified; the chain ends at its head, event #${v.head_seq}.`,
          h('br'), 'Head hash (keep a copy outside aftercare): ', h('code', { class: 'hash' }, v.head_hash))
        : h('div', { class: 'alert alert-error', role: 'alert' },
          badge('bad', 'broken'), ` The chain is broken at event #${v.broken_at ?? '?'}: ${v.reason ?? 'no reason given'}.`,
          h('br'), `${v.events} events checked; head #${v.head_seq} `, h('code', { class: 'hash' }, v.head_hash)));
    } catch (error) {
      replace(result, errorBox(error));
    } finally {
      button.disabled = false;
    }
  });
  return h('section', { class: 'card verify', 'aria-labelledby': 'verify-title' },
    h('h2', { id: 'verify-title' }, 'Chain check'),
    h('p', null, 'Recomputes every event’s hash from its content and the previous hash, and checks that the chain ends at the head kept outside the table.'),
    button, result);
}
