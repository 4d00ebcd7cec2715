// The policy in force and its stored revisions.

import * as api from '../api.js';
import { h, table, facts, pre } from '../dom.js';
import { timestamp } from '../format.js';

export const nav = { label: 'Policy', route: '/policy', permission: 'policy.read' };

export const routes = [{ pattern: /^\/policy$/, permission: 'policy.read', render }];

async function render({ view, heading }) {
  heading('Policy');
  const [current, revisions] = await Promise.all([api.get('/policy'), api.get('/policy/revisions')]);
  view.append(
    h('section', { class: 'card', 'aria-labelledby': 'policy-current' },
      h('h2', { id: 'policy-current' }, 'In force'),
      facts([
        ['Policy', `${current.id} version ${current.version}`],
        ['Revision', current.revision === null ? 'the built-in default (no revision stored yet)' : String(current.revision)],
        ['Time zone of deadlines', current.time_zone],
        ['Digest', h('code', { class: 'hash' }, current.digest)],
        ['Stored', current.created_at ? timestamp(current.created_at) : null],
        ['Stored by', current.created_by],
        ['Reason', current.reason],
      ]),
      h('details', null, h('summary', null, 'The policy file (TOML)'), pre(current.source, 'Policy file'))),
    h('section', { class: 'card', 'aria-labelledby': 'policy-revisions' },
      h('h2', { id: 'policy-revisions' }, 'Revisions'),
      table('Stored revisions of the policy, newest first',
        ['Revision', 'Policy', 'Time zone', 'Stored', 'By', 'Reason', 'Digest'],
        revisions.map((r) => [
          String(r.revision ?? '—'),
          [`${r.id} ${r.version}`, h('details', null, h('summary', null, 'TOML'), pre(r.source, `Revision ${r.revision}`))],
          r.time_zone,
          r.created_at ? timestamp(r.created_at) : '—',
          r.created_by ?? '—',
          r.reason ?? '—',
          h('code', { class: 'hash', title: r.digest }, r.digest.slice(0, 16)),
        ]),
        { empty: 'No revision stored: the built-in default policy is in force.', hideCaption: true }),
      h('p', { class: 'muted' }, 'Changing the policy is signed (21 CFR Part 11); use “aftercare policy set” or PUT /api/v1/policy.')),
  );
}
