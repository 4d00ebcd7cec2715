// The words of triage, from the server (GET /api/v1/vocabulary): VEX statuses,
// justifications, responses, scopes, harm severities, risk classes and signature meanings,
// each with its label. Fetched once per page load and shared by every form that offers them;
// the UI keeps no copy of its own.

import * as api from './api.js';

let loading = null;

/** The vocabulary (a promise of it); a failed fetch is tried again on the next call. */
export function vocabulary() {
  if (loading === null) {
    loading = api.get('/vocabulary').catch((error) => {
      loading = null;
      throw error;
    });
  }
  return loading;
}

/** [value, label] pairs of a list of terms, as a select takes them. */
export function choices(terms) {
  return terms.map((term) => [term.value, term.label]);
}

/** [value, "Label: description"] pairs, for terms whose label alone does not say enough. */
export function described(terms) {
  return terms.map((term) => [term.value, term.description ? `${term.label}: ${term.description}` : term.label]);
}
