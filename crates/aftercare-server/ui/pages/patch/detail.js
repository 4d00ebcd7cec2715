// One patch release (`#/patches/{product}/{version}`): what the gate says, the plans it
// serves, the fix evidence of their findings, the V&V evidence (superseded items marked,
// files as download links that are never rendered), the decisions with their signatures, the
// distributions, and for those who may act, the forms of forms.js.

import * as api from '../../api.js';
import { h, table, link, route, facts, badge } from '../../dom.js';
import { vocabulary } from '../../vocabulary.js';
import { timestamp } from '../../format.js';
import { signatureList } from '../clocks.js';
import { planStateBadge } from '../plans.js';
import { words } from '../findings/text.js';
import { evidenceForm, approvalForm, decisionForms, distributionForm } from './forms.js';
import { patchPath, patchRoute, approvalBadge, gateVerdict, outcomeBadge, resultBadge } from './text.js';

/** A message to show once on the next render of a patch page (after an action). */
let flash = null;

/** Remembers a message for the next render, and re-renders the page. */
function reloadWith(context, product, version) {
  return (text) => {
    flash = { key: `${product}\n${version}`, text };
    context.announce(text);
    context.navigate(patchRoute(product, version));
  };
}

export async function renderPatch(context) {
  const { view, heading, params, can } = context;
  const [product, version] = params;
  // Fetched before anything is drawn: the page appears whole.
  const [patch, terms] = await Promise.all([
    api.get(patchPath(product, version)),
    can('patch.approve') ? vocabulary() : null,
  ]);
  heading(`Patch release ${patch.product} ${patch.version}`,
    h('p', { class: 'breadcrumb' }, link('/plans', 'Plans'), ' › ',
      patch.plans.length ? [link(route(['plans', patch.plans[0].id]), `plan ${patch.plans[0].id}`), ' › '] : null,
      `patch ${patch.version}`));
  if (flash && flash.key === `${product}\n${version}`) {
    view.append(h('p', { class: 'alert alert-ok', role: 'status' }, flash.text));
  }
  flash = null;
  const onDone = reloadWith(context, patch.product, patch.version);
  view.append(
    card('patch-summary', 'Patch release',
      facts([
        ['Gate', gateVerdict(patch.gate)],
        ['Approval', approvalBadge(patch.approval)],
        ['SBOM', patch.sbom_sha256
          ? [h('code', { class: 'hash', title: patch.sbom_sha256 }, patch.sbom_sha256.slice(0, 16)),
            patch.sbom_matched ? ' matched' : [' ', badge('warn', 'never matched: run the match')]]
          : badge('bad', 'no SBOM: import one')],
        ['Release', link(route(['releases', patch.release_id]), `${patch.product} ${patch.version}`)],
      ]),
      h('p', null, h('a', { href: `#${patchRoute(patch.product, patch.version, true)}`, id: 'chain-link' },
        'The chain: finding → … → distribution, per vulnerability'))),
    card('patch-plans', 'Plans it serves',
      table('The plans the patch serves', ['Plan', 'Target', 'Cycle', 'Owner', 'State'],
        patch.plans.map((p) => [
          h('a', { href: `#${route(['plans', p.id])}`, class: 'id' }, `Plan ${p.id}`),
          p.target_version, words(p.cycle), p.owner, planStateBadge(p.state),
        ]), { hideCaption: true })),
    card('patch-fixes', 'Fix evidence',
      h('p', { class: 'muted' }, 'Computed from the patch release’s own match result: a finding is fixed when its component is gone, moved to a version the records no longer match, or assessed fixed or not affected with a justification.'),
      fixesByVulnerability(patch),
      everyFix(patch)),
    evidenceSection(patch),
    decisionSection(patch),
    distributionSection(patch),
  );
  if (can('patch.manage')) view.append(evidenceForm(patch, { onDone }));
  if (can('patch.approve')) {
    view.append(approvalForm(patch, terms, { me: context.me, can, onDone }));
    view.append(decisionForms(patch, { onDone }));
  }
  if (can('patch.manage')) view.append(distributionForm(patch, { onDone }));
}

/** Up to this many findings, each one's fix evidence is shown open; more are folded. */
const SHOWN_FIXES = 50;

/** The fix evidence summed by vulnerability (a plan of many findings is read by it). */
function fixesByVulnerability(patch) {
  if (patch.fixes.length <= 1) return null;
  return table('The fix evidence by vulnerability',
    ['Vulnerability', 'Findings', 'Releases', 'Fixed', 'Evidence', 'Not fixed'],
    patch.by_vulnerability.map((v) => [
      v.vulnerability,
      String(v.findings),
      String(v.releases),
      v.fixed === v.findings ? badge('ok', `${v.fixed} of ${v.findings}`) : badge('bad', `${v.fixed} of ${v.findings}`),
      v.summary,
      v.open_findings.length
        ? [v.open_findings.slice(0, 5).map((id, i) => [i ? ', ' : '', h('a', { href: `#${route(['findings', id])}`, class: 'id' }, `Finding ${id}`)]),
          v.open_findings.length > 5 ? ` and ${v.open_findings.length - 5} more` : '']
        : '—',
    ]));
}

/** Each finding's fix evidence; folded when there are many. */
function everyFix(patch) {
  const list = table('The fix evidence of every finding of the plans', ['Finding', 'Vulnerability', 'Found in', 'Component', 'Outcome', 'Evidence'],
    patch.fixes.map((f) => [
      h('a', { href: `#${route(['findings', f.finding])}`, class: 'id' }, `Finding ${f.finding}`),
      f.vulnerability,
      f.release ?? '—',
      f.version ? `${f.component} ${f.version}` : f.component,
      outcomeBadge(f.outcome),
      f.sentence,
    ]), { empty: 'The plans name no finding.', hideCaption: patch.fixes.length <= SHOWN_FIXES });
  if (patch.fixes.length <= SHOWN_FIXES) return list;
  return h('details', null, h('summary', null, `Every finding (${patch.fixes.length})`), list);
}

function card(id, title, ...content) {
  return h('section', { class: 'card', 'aria-labelledby': id }, h('h2', { id }, title), ...content);
}

/** Bytes in words (`1.2 MiB`). */
export function size(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/** An evidence item's files: download links (attachments, never shown inline) with digests. */
function fileList(item) {
  if (!item.files.length) return h('span', { class: 'muted' }, 'no file');
  return h('ul', { class: 'refs' }, item.files.map((f) => h('li', null,
    h('a', { href: f.download, download: f.name, class: 'download', 'aria-label': `Download ${f.name} (${size(f.bytes)})` }, f.name),
    ` (${size(f.bytes)}) `,
    h('code', { class: 'hash', title: `SHA-256 ${f.sha256}` }, f.sha256.slice(0, 12)))));
}

/** Whether an item counts, or which item supersedes it; and what it corrects. */
function standing(item) {
  return [
    item.current ? badge('ok', 'current') : badge('neutral', `superseded by ${item.superseded_by}`),
    item.supersedes ? h('span', { class: 'muted' }, ` corrects ${item.supersedes}`) : null,
  ];
}

function impactText(impact) {
  if (!impact) return null;
  return h('div', { class: 'impact' },
    h('p', null, `Safety and essential performance ${impact.safety_and_essential_performance_affected ? 'affected' : 'not affected'}; `
      + `${words(impact.regulatory_path)}${impact.clearance ? ` (${impact.clearance})` : ''}.`),
    impact.verification_rerun.length ? h('p', null, `Re-run: ${impact.verification_rerun.join('; ')}`) : null,
    h('p', { class: 'muted' }, impact.rationale));
}

function evidenceSection(patch) {
  const missing = patch.missing_evidence;
  return card('patch-evidence', 'Verification and validation evidence',
    facts([
      ['Required by the policy', patch.required_evidence.map(words).join(', ') || 'nothing'],
      ['Missing', missing.length ? badge('bad', missing.map(words).join(', ')) : badge('ok', 'nothing')],
    ]),
    table('Every evidence item, oldest first', ['Item', 'Kind', 'Title', 'Result', 'Executed', 'Files', 'Standing', 'Recorded'],
      patch.evidence.map((e) => [
        String(e.id),
        words(e.kind),
        [e.title, impactText(e.impact)],
        resultBadge(e.result),
        `${e.executed_on} by ${e.executed_by.join(', ')}`,
        fileList(e),
        standing(e),
        [timestamp(e.recorded_at), ` by ${e.recorded_by}`],
      ]), { empty: 'No evidence is recorded yet.', hideCaption: true }));
}

function decisionSection(patch) {
  return card('patch-decisions', 'Approval and decisions',
    facts([
      ['Approval', approvalBadge(patch.approval)],
      ['Signatures', patch.approvals.length ? signatureList(patch.approvals) : 'none'],
    ]),
    table('The decisions about the patch, in recorded order', ['When', 'Decision', 'By', 'Reason', 'Signed content'],
      patch.decisions.map((d) => [
        timestamp(d.at),
        words(d.kind),
        d.decided_by,
        d.reason ?? '—',
        d.digest ? h('code', { class: 'hash', title: `SHA-256 ${d.digest}` }, d.digest.slice(0, 12)) : '—',
      ]), { empty: 'No decision yet.', hideCaption: true }));
}

function distributionSection(patch) {
  return card('patch-distributions', 'Distributions',
    h('p', { class: 'muted' }, 'A distribution records that the approved patch was made available to customers; it meets the remediation clock of every case its plans cover.'),
    table('The patch’s distributions', ['Day', 'Channel', 'Organisation', 'Evidence file', 'Recorded'],
      patch.distributions.map((d) => [
        d.on, words(d.channel), d.organisation ?? '—', d.has_evidence_file ? 'kept' : '—',
        [timestamp(d.recorded_at), ` by ${d.recorded_by}`],
      ]), { empty: 'Not distributed yet.', hideCaption: true }));
}
