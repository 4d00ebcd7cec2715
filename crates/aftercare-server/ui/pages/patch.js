// Patch releases: the area's routes. The pages are modules of their own under patch/: one
// patch release with its fix evidence, V&V evidence, decisions, gate and distributions
// (detail.js), the forms that act on it — evidence upload, the signed approval, rejection and
// revocation, distribution (forms.js) — and the chain per vulnerability (chain.js). Patches
// have no navigation entry of their own: they are reached from their plans (the Plans entry
// stays current on them).

import { renderPatch } from './patch/detail.js';
import { renderChain } from './patch/chain.js';

export const routes = [
  { pattern: /^\/patches\/([^/]+)\/([^/]+)$/, permission: 'finding.read', render: renderPatch },
  { pattern: /^\/patches\/([^/]+)\/([^/]+)\/chain$/, permission: 'finding.read', render: renderChain },
];
