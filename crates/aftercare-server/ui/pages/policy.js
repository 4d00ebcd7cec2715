// The policy in force and its stored revisions, each with its signatures (21 CFR 11.50) and
// the warnings a reviewer should read before signing a change.

import * as api from '../api.js';
import { h, table, facts, pre, badge, errorBox } from '../dom.js';
import { timestamp } from '../format.js';
import { signatureList } from './clocks.js';

export const nav = { label: 'Policy', route: '/policy', permission: 'policy.read' };

export const routes = [{ pattern: /^\/policy$/, permission: 'policy.read', render }];

/** A policy's warnings: statutory clocks made longer or disabled, with their rationale. */
function warningList(warnings) {
  if (!warnings || warnings.length === 0) return null;
  return h('div', { class: 'alert alert-info', role: 'note' },
    h('p', null, h('strong', null, 'Warnings: '), 'this policy deviates where a reviewer should look.'),
    h('ul', { class: 'refs' }, warnings.map((w) => h('li', null, h('code', null, w.key), ' ', w.message))));
}

function signedBy(signatures) {
  return (signatures ?? []).length ? signatureList(signatures) : badge('warn', 'not signed');
}

async function render({ view, heading }) {
  heading('Policy');
  const revisions = await api.get('/policy/revisions');
  // A stored revision this version cannot read (format 1) answers 409 with what to do.
  const current = await api.get('/policy').catch((error) => ({ error }));
  const inForce = current.error
    ? errorBox(current.error)
    : [
      warningList(current.warnings),
      facts([
        ['Policy', `${current.id} version ${current.version}`],
        ['Revision', current.revision === null ? 'the built-in default (no revision stored yet)' : String(current.revision)],
        ['Time zone of deadlines', current.time_zone],
        ['Digest', h('code', { class: 'hash' }, current.digest)],
        ['Stored', current.created_at ? timestamp(current.created_at) : null],
        ['Stored by', current.created_by],
        ['Reason', current.reason],
        ['Signature', current.revision === null ? null : signedBy(current.signatures)],
      ]),
      h('details', null, h('summary', null, 'The policy file (TOML)'), pre(current.source, 'Policy file'))];
  view.append(
    h('section', { class: 'card', 'aria-labelledby': 'policy-current' },
      h('h2', { id: 'policy-current' }, 'In force'),
      inForce),
    h('section', { class: 'card', 'aria-labelledby': 'policy-revisions' },
      h('h2', { id: 'policy-revisions' }, 'Revisions'),
      table('Stored revisions of the policy, newest first',
        ['Revision', 'Policy', 'Time zone', 'Stored', 'By', 'Reason', 'Signature', 'Digest'],
        revisions.map((r) => [
          String(r.revision ?? '—'),
          [`${r.id} ${r.version}`,
            r.unreadable ? [' ', badge('bad', 'unreadable'), h('p', { class: 'muted' }, r.unreadable)] : null,
            h('details', null, h('summary', null, 'TOML'), pre(r.source, `Revision ${r.revision}`))],
          r.time_zone ?? '—',
          r.created_at ? timestamp(r.created_at) : '—',
          r.created_by ?? '—',
          r.reason ?? '—',
          signedBy(r.signatures),
          h('code', { class: 'hash', title: r.digest }, r.digest.slice(0, 16)),
        ]),
        { empty: 'No revision stored: the built-in default policy is in force.', hideCaption: true }),
      h('p', { class: 'muted' }, 'Changing the policy is signed (21 CFR Part 11); use “aftercare policy set” or PUT /api/v1/policy.')),
  );
}
