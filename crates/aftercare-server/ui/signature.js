// The electronic signature a form asks for (21 CFR Part 11): login, password, the meaning
// (from the server's vocabulary) and an optional comment, with the manifestation the record
// will carry (21 CFR 11.50: printed name, date and time, meaning). Only people sign, through
// their session; API tokens cannot. One helper for every signing form — a determination, a
// patch's approval, a rollout's go or no-go — so that they ask the same way.

import { h, replace, field } from './dom.js';
import { described } from './vocabulary.js';

/** The 21 CFR 11.50 manifestation the signature will carry: printed name, date and time, meaning. */
export function manifestation(me, meaning, now = new Date()) {
  const stamp = now.toISOString().slice(0, 19).replace('T', ' ');
  return `Signed by ${me.display_name} on ${stamp} (UTC) — ${meaning}`;
}

/**
 * The signature's fieldset. Its controls' ids are `${prefix}-login`, `-password`, `-meaning`
 * and `-reason`, the manifestation's `${prefix}-manifestation`. `terms` is the server's
 * vocabulary, `meaning` the meaning chosen at first, `hint` what the signature means here
 * (the manifestation follows it), `refusal` what those whose roles cannot sign are told.
 *
 * Answers `{ node, value, clear, refresh }`: `value()` is the request's `signature` object,
 * `clear()` forgets the password (after every attempt), `refresh()` redraws the
 * manifestation (its time).
 */
export function signatureFields({ prefix, me, can, terms, meaning, hint, refusal }) {
  const login = h('input', { type: 'text', name: 'login', id: `${prefix}-login`, autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false' });
  const password = h('input', { type: 'password', name: 'password', id: `${prefix}-password`, autocomplete: 'current-password' });
  const meaningSelect = h('select', { name: 'meaning', id: `${prefix}-meaning` },
    described(terms.signature_meanings).map(([value, label]) => h('option', { value, selected: value === meaning }, label)));
  const reason = h('input', { type: 'text', name: 'reason', id: `${prefix}-reason`, autocomplete: 'off' });
  const preview = h('p', { class: 'manifestation', id: `${prefix}-manifestation` });
  const refresh = () => replace(preview, manifestation(me, meaningSelect.value));
  meaningSelect.addEventListener('change', refresh);
  refresh();
  const node = h('fieldset', { class: 'signature' },
    h('legend', null, 'Electronic signature (21 CFR Part 11)'),
    can('record.sign') ? null : h('p', { class: 'alert alert-error' }, refusal),
    h('p', { class: 'hint' }, hint),
    preview,
    field('Your login', login, `You are logged in as ${me.login}.`),
    field('Password', password),
    field('Meaning of the signature', meaningSelect),
    field('Comment (optional)', reason));
  return {
    node,
    value: () => ({
      login: login.value.trim() || null,
      password: password.value,
      meaning: meaningSelect.value,
      reason: reason.value.trim() || null,
    }),
    clear: () => { password.value = ''; },
    refresh,
  };
}
