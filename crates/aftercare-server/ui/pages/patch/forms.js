// The forms that act on a patch release: record V&V evidence (files read in the browser and
// sent as base64 in the JSON body; a correction supersedes an item), the signed approval
// (21 CFR Part 11: login, password, meaning, and the manifestation the record will carry;
// API tokens cannot sign), rejection and revocation with a reason, and the distribution the
// gate allows. Each calls `onDone(message)` after the server accepted it.

import * as api from '../../api.js';
import { h, replace, field, errorBox } from '../../dom.js';
import { signatureFields } from '../../signature.js';
import { words } from '../findings/text.js';
import { patchPath } from './text.js';

const EVIDENCE_KINDS = ['verification', 'validation', 'regression', 'security_test', 'impact_assessment'];
const RESULTS = ['pass', 'fail', 'deviation'];
const CHANNELS = ['field_service', 'customer_download', 'ota'];
const PATHS = ['letter_to_file', 'new_submission'];

function card(id, title, ...content) {
  return h('section', { class: 'card', 'aria-labelledby': id }, h('h2', { id }, title), ...content);
}

function select(name, id, options, chosen) {
  return h('select', { name, id },
    options.map(([value, label]) => h('option', { value, selected: value === chosen }, label)));
}

const plain = (values) => values.map((v) => [v, words(v)]);

/** Today in the browser's calendar, `YYYY-MM-DD`. */
function today() {
  const now = new Date();
  const pad = (n) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/** A file's bytes as base64 (standard alphabet, padded), read in chunks. */
export async function base64Of(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/**
 * Runs a submission: disables the button, shows the server's refusal next to the form (and
 * moves focus there, or to `focusOnError`), or hands the success message on.
 */
async function submitting(button, feedback, call, onDone, focusOnError) {
  button.disabled = true;
  replace(feedback, h('p', { class: 'muted' }, 'Saving…'));
  try {
    const message = await call();
    onDone(message);
  } catch (error) {
    replace(feedback, errorBox(error));
    (focusOnError ?? feedback).focus();
  } finally {
    button.disabled = false;
  }
}

/** The form that records a verification or validation evidence item. */
export function evidenceForm(patch, { onDone }) {
  const kind = select('kind', 'evidence-kind', plain(EVIDENCE_KINDS), 'verification');
  const title = h('input', { type: 'text', name: 'title', id: 'evidence-title', autocomplete: 'off' });
  const result = select('result', 'evidence-result', plain(RESULTS), 'pass');
  const executedBy = h('input', { type: 'text', name: 'executed_by', id: 'evidence-executed-by', autocomplete: 'off' });
  const executedOn = h('input', { type: 'date', name: 'executed_on', id: 'evidence-executed-on', value: today(), max: today() });
  const files = h('input', { type: 'file', name: 'files', id: 'evidence-files', multiple: true });
  const current = patch.evidence.filter((e) => e.current);
  const supersedes = select('supersedes', 'evidence-supersedes',
    [['', '— nothing: a new item —'], ...current.map((e) => [String(e.id), `${e.id}: ${words(e.kind)} — ${e.title}`])], '');
  const sep = h('input', { type: 'checkbox', name: 'safety_and_essential_performance_affected', id: 'impact-sep' });
  const rerun = h('textarea', { name: 'verification_rerun', id: 'impact-rerun', rows: '2' });
  const path = select('regulatory_path', 'impact-path', plain(PATHS), 'letter_to_file');
  const clearance = h('input', { type: 'text', name: 'clearance', id: 'impact-clearance', autocomplete: 'off' });
  const rationale = h('textarea', { name: 'rationale', id: 'impact-rationale', rows: '3' });
  const impact = h('fieldset', { class: 'impact-fields' },
    h('legend', null, 'Impact assessment'),
    h('div', { class: 'field-check' }, sep, h('label', { for: 'impact-sep' }, 'The change affects safety or essential performance')),
    field('Verification re-run', rerun, 'One test protocol, suite or report per line; at least one.'),
    field('Regulatory path', path),
    field('Clearance', clearance, 'For a new submission, its 510(k) or PMA supplement number once granted.'),
    field('Rationale', rationale, 'Why, in words.'));
  const sync = () => { impact.hidden = kind.value !== 'impact_assessment'; };
  kind.addEventListener('change', sync);
  sync();
  const feedback = h('div', { id: 'evidence-feedback', tabindex: '-1', 'aria-live': 'assertive' });
  const submit = h('button', { type: 'submit' }, 'Record the evidence');
  const form = h('form', { class: 'stacked', 'aria-labelledby': 'evidence-form-title', novalidate: true },
    feedback,
    field('Kind', kind),
    field('Title', title),
    field('Result', result),
    field('Executed by', executedBy, 'Logins or names, comma-separated: the approver may not be the only executor of the validation.'),
    field('Executed on', executedOn),
    field('Files', files, 'Test reports and logs, stored by SHA-256; they are only ever downloaded, never shown in the page.'),
    field('Corrects (supersedes)', supersedes, 'Evidence is never edited: a correction supersedes an item, and both stay.'),
    impact,
    submit);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submitting(submit, feedback, async () => {
      const uploads = [];
      for (const file of files.files) {
        uploads.push({ name: file.name, content_base64: await base64Of(file) });
      }
      const body = {
        kind: kind.value,
        title: title.value.trim(),
        result: result.value,
        executed_by: executedBy.value.split(',').map((p) => p.trim()).filter(Boolean),
        executed_on: executedOn.value,
        files: uploads,
        supersedes: supersedes.value ? Number(supersedes.value) : null,
        impact: kind.value === 'impact_assessment' ? {
          safety_and_essential_performance_affected: sep.checked,
          verification_rerun: rerun.value.split('\n').map((l) => l.trim()).filter(Boolean),
          regulatory_path: path.value,
          clearance: clearance.value.trim() || null,
          rationale: rationale.value.trim(),
        } : null,
      };
      const added = await api.post(patchPath(patch.product, patch.version, '/evidence'), body);
      const lost = patch.approval === 'matching' && added.patch.approval === 'no_longer_matching';
      return `Evidence ${added.evidence} recorded${uploads.length ? ` with ${uploads.length} file${uploads.length === 1 ? '' : 's'}` : ''}.`
        + (lost ? ' The approval no longer matches the patch: it must be signed again.' : '');
    }, onDone);
  });
  return card('evidence-form-title', 'Record evidence', form);
}

/** The approval: a Part 11 signature of the patch as it is now. */
export function approvalForm(patch, terms, { me, can, onDone }) {
  const signature = signatureFields({
    prefix: 'approve',
    me,
    can,
    terms,
    meaning: 'approval',
    hint: 'Your login and password identify you; the record will show:',
    refusal: 'Your roles do not include signing (record.sign): the approval will be refused.',
  });
  const feedback = h('div', { id: 'approve-feedback', tabindex: '-1', 'aria-live': 'assertive' });
  const submit = h('button', { type: 'submit' }, 'Sign the approval');
  const form = h('form', { class: 'stacked', 'aria-labelledby': 'approve-title', novalidate: true },
    feedback,
    h('p', { class: 'hint' }, 'The signature binds the SBOM’s digest, the fix evidence and every current evidence item: a later change shows the approval as no longer matching. It is refused, with every reason and nothing recorded, while evidence is missing or failed, a finding is not fixed, or you alone executed the validation.'),
    signature.node,
    submit);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submitting(submit, feedback, async () => {
      try {
        await api.post(patchPath(patch.product, patch.version, '/approve'), { signature: signature.value() });
      } finally {
        signature.clear();
      }
      return `Patch ${patch.version} approved and signed.`;
    }, onDone);
  });
  return card('approve-title', 'Approve for distribution', form);
}

/** Rejection and revocation (a recall: the patch never passes the gate again), each with a reason. */
export function decisionForms(patch, { onDone }) {
  const one = (action, label, hint) => {
    const reason = h('textarea', { name: 'reason', id: `${action}-reason`, rows: '2' });
    const feedback = h('div', { id: `${action}-feedback`, tabindex: '-1', 'aria-live': 'assertive' });
    const submit = h('button', { type: 'submit' }, label);
    const form = h('form', { class: 'stacked', 'aria-label': label, novalidate: true },
      feedback, field(`Why (${action})`, reason, hint), submit);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      submitting(submit, feedback, async () => {
        await api.post(patchPath(patch.product, patch.version, `/${action}`), { reason: reason.value.trim() });
        return action === 'reject' ? `Patch ${patch.version} rejected.` : `Patch ${patch.version} revoked: it will never pass the gate again.`;
      }, onDone, reason);
    });
    return form;
  };
  return card('decide-title', 'Reject or revoke',
    one('reject', 'Reject the patch', 'Its approved plans go back to “patch built”.'),
    one('revoke', 'Revoke (recall) the patch', 'Final: a revoked patch is never distributed again; build a new release.'));
}

/** Recording a distribution the gate allows. */
export function distributionForm(patch, { onDone }) {
  const channel = select('channel', 'distribute-channel', plain(CHANNELS), 'field_service');
  const on = h('input', { type: 'date', name: 'on', id: 'distribute-on', value: today(), max: today() });
  const organisation = h('input', { type: 'text', name: 'organisation', id: 'distribute-organisation', autocomplete: 'organization' });
  const file = h('input', { type: 'file', name: 'evidence_file', id: 'distribute-file' });
  const feedback = h('div', { id: 'distribute-feedback', tabindex: '-1', 'aria-live': 'assertive' });
  const submit = h('button', { type: 'submit' }, 'Record the distribution');
  const form = h('form', { class: 'stacked', 'aria-labelledby': 'distribute-title', novalidate: true },
    feedback,
    h('p', { class: 'hint' }, patch.gate.cleared
      ? 'The gate clears this patch: recording its distribution meets the remediation clock of every case its plans cover.'
      : 'The gate refuses this patch now; a distribution will be refused with its reasons.'),
    field('Channel', channel),
    field('Made available on', on, 'Not after today; a day in the past counts from the end of that day.'),
    field('Organisation (optional)', organisation),
    field('Evidence file (optional)', file, 'A field-service report or a download log.'),
    submit);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submitting(submit, feedback, async () => {
      const chosen = file.files[0];
      await api.post(patchPath(patch.product, patch.version, '/distribute'), {
        channel: channel.value,
        on: on.value,
        organisation: organisation.value.trim() || null,
        evidence_file: chosen ? { name: chosen.name, content_base64: await base64Of(chosen) } : null,
      });
      return `Distribution of ${patch.version} recorded.`;
    }, onDone);
  });
  return card('distribute-title', 'Record a distribution', form);
}
