// How a finding is written on every findings page: severity, KEV and VEX-status badges, the
// component as name and version, and snake_case values as words.

import { h, badge } from '../../dom.js';

/** The severities of the matcher, most severe first (the list filter's checkboxes). */
export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'none', 'unknown'];
const SEVERITY_BADGES = { critical: 'bad', high: 'bad', medium: 'warn', low: 'neutral', none: 'neutral', unknown: 'neutral' };

/** The colour of a VEX status's badge (the word is always written too). */
export const STATUS_BADGES = { not_affected: 'ok', fixed: 'ok', affected: 'bad', under_investigation: 'warn' };

export const words = (text) => String(text).replaceAll('_', ' ');

/** A severity as a badge (the word is always written, colour only repeats it). */
export function severityBadge(severity, score) {
  const text = score === null || score === undefined ? severity : `${severity} ${Number(score).toFixed(1)}`;
  return badge(SEVERITY_BADGES[severity] ?? 'neutral', text);
}

export function kevMark(kev) {
  return kev ? h('span', { class: 'badge badge-bad', title: 'In CISA’s Known Exploited Vulnerabilities catalog' }, 'KEV') : null;
}

export function componentText(c) {
  return c.version ? `${c.name} ${c.version}` : c.name;
}
