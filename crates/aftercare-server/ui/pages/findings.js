// Findings: the area's routes and navigation entry. The pages are modules of their own under
// findings/: the list with its filters and bulk assessment (list.js), one finding with every
// card (detail.js), the assessment forms (assess.js) and the MITRE/MDIC rubric (rubric.js);
// text.js writes a finding's badges and words for all of them.

import { renderList, findingsRoute } from './findings/list.js';
import { renderDetail } from './findings/detail.js';
import { SEVERITIES, severityBadge } from './findings/text.js';

export const nav = { label: 'Findings', route: '/findings', permission: 'finding.read' };

export const routes = [
  { pattern: /^\/findings$/, permission: 'finding.read', render: renderList },
  { pattern: /^\/findings\/(\d+)$/, permission: 'finding.read', render: renderDetail },
];

// What other areas link to or show: the list's address, and a severity as a badge.
export { findingsRoute, SEVERITIES, severityBadge };
