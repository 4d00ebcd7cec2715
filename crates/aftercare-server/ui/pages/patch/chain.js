// The chain view (`#/patches/{product}/{version}/chain`): per vulnerability the patch
// remediates, the steps an auditor follows — finding, assessment, determination, plan, change
// request, patch release, fix evidence, V&V evidence, approval, distribution — each with its
// status, its time, and how that stands against the case's remediation clock.

import * as api from '../../api.js';
import { h, table, link, route, facts, badge } from '../../dom.js';
import { timestamp } from '../../format.js';
import { kindLabel } from '../clocks.js';
import { words } from '../findings/text.js';
import { patchPath, patchRoute, gateVerdict } from './text.js';

const STEP_LABELS = {
  finding: 'Finding',
  assessment: 'Assessment',
  determination: 'Determination (signed)',
  plan: 'Remediation plan',
  change_request: 'Change request',
  patch_release: 'Patch release',
  fix_evidence: 'Fix evidence',
  evidence: 'Verification and validation evidence',
  approval: 'Approval (signature)',
  distribution: 'Distribution',
};

const STATUS_BADGES = { done: 'ok', pending: 'warn', gap: 'bad', not_applicable: 'neutral' };
const CLOCK_BADGES = { within: 'ok', met: 'ok', after: 'bad', missed: 'bad', open: 'warn' };

function clockVerdict(verdict) {
  if (!verdict) return h('span', { class: 'muted' }, '—');
  const text = { within: 'within the deadline', after: 'after the deadline', met: 'clock met', missed: 'clock missed', open: 'clock still open' }[verdict] ?? verdict;
  return badge(CLOCK_BADGES[verdict] ?? 'neutral', text);
}

export async function renderChain({ view, heading, params }) {
  const [product, version] = params;
  const chain = await api.get(patchPath(product, version, '/chain'));
  const patch = chain.patch;
  heading(`The chain of ${patch.product} ${patch.version}`,
    h('p', { class: 'breadcrumb' }, link('/plans', 'Plans'), ' › ',
      link(patchRoute(patch.product, patch.version), `patch ${patch.version}`), ' › chain'));
  view.append(facts([
    ['Gate', gateVerdict(patch.gate)],
    ['Vulnerabilities', String(chain.links.length)],
  ]));
  if (chain.links.length === 0) {
    view.append(h('p', { class: 'empty' }, 'The plans of this patch name no finding.'));
    return;
  }
  for (const [index, item] of chain.links.entries()) {
    const id = `chain-${index}`;
    const clock = item.clock;
    view.append(h('section', { class: 'card chain', 'aria-labelledby': id },
      h('h2', { id }, item.vulnerability),
      facts([
        ['Clock', clock ? kindLabel(clock.kind) : 'no remediation clock runs for this case'],
        ['Deadline', clock ? [timestamp(clock.deadline_end), h('span', { class: 'muted' }, ` day N is ${clock.deadline_day}`)] : null],
        ['State', clock ? badge(clock.state === 'met' ? 'ok' : (clock.state === 'missed' ? 'bad' : 'warn'), clock.state) : null],
        ['Met at', clock && clock.satisfied_at ? timestamp(clock.satisfied_at) : null],
        ['Case', link(route(['cases', patch.product, item.vulnerability]), 'The case page')],
      ]),
      table(`The chain of ${item.vulnerability}, in order`, ['Step', 'Status', 'When', 'What', 'Against the clock'],
        item.steps.map((step) => [
          STEP_LABELS[step.step] ?? words(step.step),
          badge(STATUS_BADGES[step.status] ?? 'neutral', words(step.status)),
          step.at ? timestamp(step.at) : '—',
          step.detail,
          clockVerdict(step.clock),
        ]))));
  }
}
