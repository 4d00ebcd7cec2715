// How a patch release is written on every patch page: its address, the approval's and the
// gate's state, a fix outcome and an evidence result as badges (the word is always written).

import { h, badge, route } from '../../dom.js';
import { timestamp } from '../../format.js';

/** The API path of a patch release (each segment encoded: a product name may hold a slash). */
export function patchPath(product, version, rest = '') {
  return `/patches/${encodeURIComponent(product)}/${encodeURIComponent(version)}${rest}`;
}

/** The address of a patch release's page, or of its chain view. */
export function patchRoute(product, version, chain = false) {
  return route(chain ? ['patches', product, version, 'chain'] : ['patches', product, version]);
}

const APPROVAL = {
  none: ['neutral', 'not approved'],
  matching: ['ok', 'approved, still matching'],
  no_longer_matching: ['bad', 'approval no longer matches: sign again'],
};

/** Whether the latest approval still matches the patch. */
export function approvalBadge(approval) {
  const [kind, text] = APPROVAL[approval] ?? ['neutral', approval];
  return badge(kind, text);
}

/** What the gate says now: cleared (by which approval), or every reason it refuses. */
export function gateVerdict(gate) {
  if (gate.cleared) {
    return h('span', { id: 'gate-verdict' }, badge('ok', 'may be distributed'),
      ` — cleared by the approval of ${gate.clearance.signer} at `, timestamp(gate.clearance.approved_at));
  }
  return h('span', { id: 'gate-verdict' }, badge('bad', 'may not be distributed'), ' ', gate.refusal ?? '');
}

const OUTCOMES = { removed: 'ok', upgraded: 'ok', assessed: 'ok', not_fixed: 'bad', not_matched: 'warn' };

/** A fix outcome as a badge. */
export function outcomeBadge(outcome) {
  return badge(OUTCOMES[outcome] ?? 'neutral', outcome.replaceAll('_', ' '));
}

const RESULTS = { pass: 'ok', fail: 'bad', deviation: 'warn' };

/** An evidence result as a badge. */
export function resultBadge(result) {
  return badge(RESULTS[result] ?? 'neutral', result);
}
