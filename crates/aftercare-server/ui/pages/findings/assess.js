// Assessing findings: the form of one finding (VEX statement, device vector, determination
// and its signature) and the form that assesses several at once from the list. Every choice
// they offer comes from the server's vocabulary (GET /api/v1/vocabulary).

import * as api from '../../api.js';
import { h, replace, field, errorBox } from '../../dom.js';
import { choices, described } from '../../vocabulary.js';
import { signatureFields } from '../../signature.js';
import { rubricQuestionnaire } from './rubric.js';
import { words } from './text.js';

/**
 * Assessing several findings at once (`POST /api/v1/findings/assessments`): a checkbox per
 * row, one to select the whole page, and a short form — status, justification, responses,
 * statements, scope. A determination is made one finding at a time, with its signature.
 * `terms` is the server's vocabulary; `onSaved` gets the message to show after saving.
 */
export function bulkAssessment(items, terms, { announce, onSaved }) {
  const boxes = [];
  const box = (f) => {
    const input = h('input', { type: 'checkbox', name: 'finding', value: String(f.id), id: `bulk-${f.id}`,
      'aria-label': `Select ${f.vulnerability.id} in ${f.component.name} (${f.release})` });
    boxes.push(input);
    return input;
  };
  const all = h('input', { type: 'checkbox', id: 'bulk-all', 'aria-label': 'Select every finding on this page' });
  all.addEventListener('change', () => { for (const b of boxes) b.checked = all.checked; });
  const status = select('status', 'bulk-status', choices(terms.vex_statuses), 'under_investigation');
  const justification = select('justification', 'bulk-justification', [['', '—'], ...choices(terms.justifications)], '');
  const justificationField = field('Justification', justification, 'Required for “not affected”, unless an impact statement says why.');
  const responses = h('fieldset', { class: 'checks' }, h('legend', null, 'Responses'),
    choices(terms.responses).map(([value, label]) => h('span', { class: 'field-check' },
      h('input', { type: 'checkbox', name: 'responses', value, id: `bulk-response-${value}` }),
      h('label', { for: `bulk-response-${value}` }, label))));
  const impact = textarea('impact_statement', 'bulk-impact', '');
  const action = textarea('action_statement', 'bulk-action', '');
  const details = textarea('details', 'bulk-details', '');
  const scope = select('scope', 'bulk-scope', choices(terms.scopes), 'finding');
  const feedback = h('div', { id: 'bulk-feedback', tabindex: '-1', 'aria-live': 'assertive' });
  const submit = h('button', { type: 'submit' }, 'Assess the selected findings');
  const form = h('form', { class: 'stacked assess-form', 'aria-labelledby': 'bulk-title', novalidate: true },
    feedback,
    field('Status', status),
    justificationField,
    field('Impact statement', impact),
    responses,
    field('Action statement', action),
    field('Details', details),
    field('Scope', scope, 'Each finding’s decision also reaches the same component in other releases.'),
    submit);
  const sync = () => { justificationField.hidden = status.value !== 'not_affected'; };
  status.addEventListener('change', sync);
  sync();
  const text = (control) => control.value.trim() || null;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const findings = boxes.filter((b) => b.checked).map((b) => Number(b.value));
    if (findings.length === 0) {
      replace(feedback, h('p', { class: 'alert alert-error', role: 'alert' }, 'Select at least one finding in the table.'));
      feedback.focus();
      return;
    }
    submit.disabled = true;
    replace(feedback, h('p', { class: 'muted' }, 'Saving…'));
    try {
      const outcome = await api.post('/findings/assessments', {
        findings,
        status: status.value,
        justification: status.value === 'not_affected' ? text(justification) : null,
        impact_statement: text(impact),
        responses: [...responses.querySelectorAll('input:checked')].map((c) => c.value),
        action_statement: text(action),
        details: text(details),
        scope: scope.value,
      });
      const message = `${outcome.decisions.length} finding${outcome.decisions.length === 1 ? '' : 's'} assessed as ${words(status.value)}`
        + (outcome.inherited.length ? `; ${outcome.inherited.length} more inherited the decision` : '')
        + (outcome.flagged.length ? `; ${outcome.flagged.length} flagged for a re-review` : '') + '.';
      announce(message);
      onSaved(message);
    } catch (error) {
      replace(feedback, errorBox(error));
      feedback.focus();
    } finally {
      submit.disabled = false;
    }
  });
  return {
    all,
    box,
    /** The ids of the findings selected in the table. */
    selected: () => boxes.filter((b) => b.checked).map((b) => Number(b.value)),
    form: h('section', { class: 'card', 'aria-labelledby': 'bulk-title' },
      h('h2', { id: 'bulk-title' }, 'Assess several findings'),
      h('p', { class: 'hint' }, `Select findings in the table (${items.length} on this page), then record one assessment for all of them.`),
      form),
  };
}

// The assessment form of one finding.

/** A select from [value, label] pairs. */
function select(name, id, options, chosen) {
  return h('select', { name, id },
    options.map(([value, label]) => h('option', { value, selected: value === chosen }, label)));
}

function textarea(name, id, value) {
  return h('textarea', { name, id, rows: '3' }, value ?? '');
}

/** One row of the compensating-controls editor. */
function controlRow(number, onRemove) {
  const description = h('input', { type: 'text', name: 'control_description', id: `control-${number}-description` });
  const evidence = h('input', { type: 'text', name: 'control_evidence', id: `control-${number}-evidence` });
  const effective = h('input', { type: 'checkbox', name: 'control_effective', id: `control-${number}-effective`, checked: true });
  const row = h('fieldset', { class: 'control-row' },
    h('legend', null, `Control ${number}`),
    field('What it is', description),
    field('Evidence', evidence, 'Required: a document id or test report. Without evidence a control is refused.'),
    h('div', { class: 'field-check' }, effective,
      h('label', { for: effective.id }, 'Prevents or substantially hinders exploitation')),
    h('button', { type: 'button', class: 'button-quiet', 'aria-label': `Remove control ${number}`, onclick: () => onRemove(row) }, 'Remove'));
  row.values = () => ({ description: description.value.trim(), evidence: evidence.value.trim(), effective: effective.checked });
  row.focusFirst = () => description.focus();
  return row;
}

/**
 * The form that assesses one finding (`PUT /api/v1/findings/{id}/assessment`): the VEX
 * statement, scope and versions, the device vector (typed or from the rubric), and, with a
 * harm severity, the determination and its signature. `terms` is the server's vocabulary;
 * `onSaved` gets the message to show after saving.
 */
export function assessForm(detail, terms, { can, me, announce, onSaved }) {
  const f = detail.finding;
  const a = detail.triage.assessment;
  const current = a && !a.inherited ? a : null;

  const status = select('status', 'assess-status', choices(terms.vex_statuses), a ? a.status : 'under_investigation');
  const justification = select('justification', 'assess-justification',
    [['', '— choose —'], ...described(terms.justifications)],
    a?.justification ?? '');
  const justificationField = field('Justification (CycloneDX)', justification,
    'Required for “not affected” unless the impact statement says why.');
  const responses = h('fieldset', { class: 'checks' },
    h('legend', null, 'Responses'),
    choices(terms.responses).map(([value, label]) => h('span', { class: 'field-check' },
      h('input', { type: 'checkbox', name: 'responses', value, id: `assess-response-${value}`, checked: (a?.responses ?? []).includes(value) }),
      h('label', { for: `assess-response-${value}` }, label))));
  const impact = textarea('impact_statement', 'assess-impact', a?.impact_statement);
  const action = textarea('action_statement', 'assess-action', a?.action_statement);
  const details = textarea('details', 'assess-details', a?.details);
  const assignee = h('input', { type: 'text', name: 'assignee', id: 'assess-assignee', value: a?.assignee ?? '', autocomplete: 'off' });
  const scope = select('scope', 'assess-scope', choices(terms.scopes), current?.scope ?? 'finding');
  const versions = h('input', { type: 'text', name: 'versions', id: 'assess-versions', value: current?.versions ?? '', autocomplete: 'off', placeholder: f.component.version ? `=${f.component.version}` : '*' });
  const cvss = h('input', { type: 'text', name: 'cvss_vector', id: 'assess-cvss', value: a?.cvss_vector ?? '', autocomplete: 'off', spellcheck: 'false', placeholder: 'CVSS:3.1/AV:N/AC:L/…' });
  const rubric = rubricQuestionnaire(cvss, announce);

  // The determination: shown in full once a harm severity is chosen.
  const harm = select('harm', 'assess-harm', [['', '— no determination —'], ...described(terms.harm_severities)], '');
  const sep = h('input', { type: 'checkbox', name: 'safety_and_essential_performance_affected', id: 'assess-sep', checked: true });
  const controls = h('div', { class: 'controls' });
  let controlCount = 0;
  const removeControl = (row) => {
    row.remove();
    addControl.focus();
  };
  const addControl = h('button', { type: 'button', class: 'button-quiet', id: 'assess-add-control' }, 'Add a compensating control');
  addControl.addEventListener('click', () => {
    controlCount += 1;
    const row = controlRow(controlCount, removeControl);
    controls.append(row);
    row.focusFirst();
  });
  const override = select('override_outcome', 'assess-override',
    [['', '— keep what the policy computes —'], ...choices(terms.risk_classes)], '');
  const rationale = textarea('override_rationale', 'assess-override-rationale', '');
  const rationaleField = field('Override rationale', rationale, 'Required with an override; kept with the determination.');

  const signature = signatureFields({
    prefix: 'assess',
    me,
    can,
    terms,
    meaning: 'authorship',
    hint: 'A determination is signed. Your login and password identify you; the record will show:',
    refusal: 'Your roles do not include signing (record.sign): a determination will be refused.',
  });
  const determinationBody = h('div', { class: 'determination-body' },
    h('div', { class: 'field-check' }, sep, h('label', { for: 'assess-sep' }, 'Safety and essential performance is affected')),
    h('fieldset', { class: 'checks' }, h('legend', null, 'Compensating controls'),
      h('p', { class: 'hint' }, 'A control lowers the determination only with its evidence, marked effective, and verified by you: signing the determination verifies every control listed.'),
      controls, addControl),
    field('Override the outcome', override),
    rationaleField,
    signature.node);
  const determination = h('fieldset', { class: 'determination' },
    h('legend', null, 'Determination (optional)'),
    h('p', { class: 'hint' }, 'Choose a harm severity to determine whether the residual risk of patient harm is controlled (exploitability, impact on safety and essential performance, severity of harm); this starts the regulatory clocks and needs your signature.'),
    field('Harm severity (ISO 14971)', harm),
    determinationBody);

  const feedback = h('div', { id: 'assess-feedback', tabindex: '-1', 'aria-live': 'assertive' });
  const submit = h('button', { type: 'submit' }, 'Save the assessment');
  const form = h('form', { class: 'stacked assess-form', 'aria-labelledby': 'assess-title', novalidate: true },
    feedback,
    field('Status', status),
    justificationField,
    field('Impact statement', impact, 'Why the product is not affected, in words.'),
    responses,
    field('Action statement', action, 'What users should do (required for “affected”).'),
    field('Details', details),
    field('Assignee', assignee),
    field('Scope', scope, 'Findings of the same component in other releases inherit the decision.'),
    field('Versions covered', versions, 'Of the component: * or =1.2.3 or >=1.0,<2.0; empty means exactly this finding’s version.'),
    field('Device CVSS vector', cvss, 'The base vector rescored for the device (optional).'),
    rubric.element,
    determination,
    submit);

  const sync = () => {
    justificationField.hidden = status.value !== 'not_affected';
    determinationBody.hidden = harm.value === '';
    rationaleField.hidden = override.value === '';
    if (!determinationBody.hidden) signature.refresh();
  };
  status.addEventListener('change', sync);
  harm.addEventListener('change', sync);
  override.addEventListener('change', sync);
  sync();

  const text = (control) => control.value.trim() || null;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    for (const invalid of form.querySelectorAll('[aria-invalid]')) invalid.removeAttribute('aria-invalid');
    const body = {
      status: status.value,
      justification: status.value === 'not_affected' ? text(justification) : null,
      impact_statement: text(impact),
      responses: [...responses.querySelectorAll('input:checked')].map((c) => c.value),
      action_statement: text(action),
      details: text(details),
      assignee: text(assignee),
      scope: scope.value,
      versions: text(versions),
      cvss_vector: text(cvss),
      rubric: rubric.extended(),
    };
    if (harm.value) {
      Object.assign(body, {
        harm: harm.value,
        safety_and_essential_performance_affected: sep.checked,
        controls: [...controls.querySelectorAll('.control-row')].map((row) => row.values())
          .filter((c) => c.description || c.evidence),
        override_outcome: override.value || null,
        override_rationale: override.value ? text(rationale) : null,
        signature: signature.value(),
      });
    }
    submit.disabled = true;
    replace(feedback, h('p', { class: 'muted' }, 'Saving…'));
    try {
      const saved = await api.call('PUT', `/findings/${f.id}/assessment`, { body });
      const a2 = saved.triage.assessment;
      const message = `Assessment saved: ${words(a2 ? a2.status : body.status)}`
        + (saved.triage.determination && body.harm ? `; determination ${saved.triage.determination.outcome}, signed` : '')
        + (a2 && a2.action_statement_generated ? '; no action statement was written, so aftercare generated one from the response' : '')
        + '.';
      announce(message);
      onSaved(message);
    } catch (error) {
      signature.clear();
      replace(feedback, errorBox(error));
      // Point at the field the message names, when it names one.
      const message = String(error.message ?? '');
      const named = [...form.elements].find((el) => el.name && el.name !== 'status'
        && !el.closest('[hidden]') && new RegExp(`\\b${el.name}\\b`).test(message));
      if (named) {
        named.setAttribute('aria-invalid', 'true');
        named.focus();
      } else {
        feedback.focus();
      }
    } finally {
      submit.disabled = false;
    }
  });

  return h('section', { class: 'card', 'aria-labelledby': 'assess-title' },
    h('h2', { id: 'assess-title' }, a ? 'Change the assessment' : 'Assess'),
    a && a.inherited
      ? h('p', { class: 'hint' }, `The decision that applies was made on finding ${a.made_on_finding}; saving here records one for this finding.`)
      : null,
    form);
}
