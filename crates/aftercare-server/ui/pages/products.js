// Products and their releases.

import * as api from '../api.js';
import { h, table, link, route, facts } from '../dom.js';
import { timestamp } from '../format.js';

export const nav = { label: 'Products', route: '/products', permission: 'inventory.read', also: ['/releases'] };

export const routes = [
  { pattern: /^\/products$/, permission: 'inventory.read', render: renderList },
  { pattern: /^\/products\/([^/]+)$/, permission: 'inventory.read', render: renderProduct },
];

async function renderList({ view, heading }) {
  heading('Products');
  const products = await api.get('/products');
  view.append(table('Products', ['Product', 'Description', 'Releases', 'Registered'],
    products.map((p) => [
      link(route(['products', p.id]), p.name),
      p.description ?? '',
      h('span', { class: 'num' }, String(p.release_count)),
      timestamp(p.created_at),
    ]),
    { empty: 'No products yet.', hideCaption: true }));
}

/** The releases table of one product (also used on a release page's "compare" form). */
export function releaseRows(releases) {
  return releases.map((r) => [
    link(route(['releases', r.id]), r.version),
    h('span', { class: 'num' }, String(r.component_count)),
    r.sbom ? `${r.sbom.format} ${r.sbom.spec_version} (${r.sbom.encoding})` : 'no SBOM',
    r.sbom ? h('span', { class: 'num' }, String(r.sbom.warning_count)) : '—',
    timestamp(r.created_at),
  ]);
}

async function renderProduct({ view, heading, params }) {
  const [key] = params;
  const [product, releases] = await Promise.all([
    api.get(`/products/${encodeURIComponent(key)}`),
    api.get(`/products/${encodeURIComponent(key)}/releases`),
  ]);
  heading(product.name, h('p', { class: 'breadcrumb' }, link('/products', 'Products')));
  view.append(
    facts([
      ['Description', product.description],
      ['Releases', String(product.release_count)],
      ['Registered', timestamp(product.created_at)],
      ['Id', String(product.id)],
    ]),
    h('h2', null, 'Releases'),
    table(`Releases of ${product.name}, newest first`,
      ['Version', 'Components', 'SBOM', 'Warnings', 'Registered'], releaseRows(releases),
      { empty: 'This product has no releases yet.' }),
  );
}
