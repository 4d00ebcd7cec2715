// The MITRE/MDIC rubric for applying CVSS to medical devices, as a questionnaire inside the
// assessment form (GET /api/v1/rubric, POST /api/v1/rubric/score).

import * as api from '../../api.js';
import { h, replace, field, errorBox } from '../../dom.js';

/**
 * The MITRE/MDIC rubric for applying CVSS to medical devices, as a questionnaire inside the
 * assessment form: per CVSS base metric, each decision flow from its first question, the next
 * question shown as answers lead to it, until an answer sets the metric's value. "Score the
 * answers" asks the server for the base vector (written into the device vector field) and
 * keeps the extended vector of the answers, which is saved with the assessment.
 */
export function rubricQuestionnaire(cvss, announce) {
  const answers = new Map();
  let rubric = null;
  let scored = null;
  const flows = h('div', { class: 'rubric-flows' });
  const result = h('p', { id: 'rubric-result', 'aria-live': 'polite' });
  const score = h('button', { type: 'button', id: 'rubric-score' }, 'Score the answers');
  const question = (id) => rubric.questions.find((q) => q.id === id);

  /** The questions a flow reaches from its root with the answers so far. */
  const reached = (root) => {
    const out = [];
    let current = question(root);
    while (current && out.length < 50) {
      out.push(current);
      const chosen = current.options.find((o) => o.code === answers.get(current.id));
      current = chosen && chosen.next ? question(chosen.next) : null;
    }
    return out;
  };
  const visible = () => rubric.metrics.flatMap((m) => m.roots.flatMap(reached));

  const draw = () => {
    scored = null;
    replace(result);
    // Answers off the path no longer count (the server refuses them).
    const shown = new Set(visible().map((q) => q.id));
    for (const id of [...answers.keys()]) if (!shown.has(id)) answers.delete(id);
    replace(flows, rubric.metrics.map((m) => h('fieldset', { class: 'rubric-metric' },
      h('legend', null, `${m.title} (${m.name})`),
      m.roots.flatMap(reached).map((q) => {
        const id = `rubric-${q.id}`;
        const choice = h('select', { id, name: `rubric_${q.id}` },
          h('option', { value: '' }, '—'),
          q.options.map((o) => h('option', { value: o.code, selected: answers.get(q.id) === o.code }, o.label)));
        choice.addEventListener('change', () => {
          if (choice.value) answers.set(q.id, choice.value); else answers.delete(q.id);
          draw();
          document.getElementById(id)?.focus();
        });
        return field(`${q.number}${q.category ? ` (${q.category})` : ''}: ${q.text}`, choice);
      }))));
  };

  const body = h('div', { class: 'rubric-body' },
    h('p', { class: 'hint' }, 'Answer each question for this device; unknown answers score the worst case.'),
    flows, h('div', { class: 'actions' }, score), result);
  const element = h('details', { class: 'rubric', id: 'assess-rubric' },
    h('summary', null, 'Derive the device vector with the medical-device rubric (MITRE/MDIC)'),
    body);
  element.addEventListener('toggle', async () => {
    if (!element.open || rubric !== null) return;
    try {
      rubric = await api.get('/rubric');
      draw();
    } catch (error) {
      replace(flows, errorBox(error));
    }
  });
  score.addEventListener('click', async () => {
    if (rubric === null) return;
    const vector = [rubric.extended_vector_prefix,
      ...rubric.questions.filter((q) => answers.has(q.id)).map((q) => `${q.id}:${answers.get(q.id)}`)].join('/');
    try {
      const out = await api.post('/rubric/score', { extended_vector: vector });
      scored = out.extended_vector;
      cvss.value = out.base_vector;
      replace(result, `Base vector ${out.base_vector}, score ${out.base_score.toFixed(1)} (${out.severity}); written into the device vector above.`);
      announce(`Rubric scored: ${out.base_score.toFixed(1)}, ${out.severity}.`);
    } catch (error) {
      scored = null;
      replace(result, errorBox(error));
    }
  });
  return { element, extended: () => scored };
}
