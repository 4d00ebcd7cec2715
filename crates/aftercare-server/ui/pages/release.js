// One release: its SBOM summary and download, the NTIA/FDA quality table, the reader's
// warnings, a searchable paginated component table, and a diff against another release.
//
// Searching, paging and choosing the release to compare with update their section in place
// and record the choice in the address (history.replaceState), so a reload or a shared link
// shows the same view without refetching the rest of the page.

import * as api from '../api.js';
import { h, replace, table, link, route, facts, field, badge, errorBox } from '../dom.js';
import { timestamp } from '../format.js';
import { findingsRoute, severityBadge, SEVERITIES } from './findings.js';
import { size } from './patch/detail.js';

export const routes = [
  { pattern: /^\/releases\/(\d+)$/, permission: 'inventory.read', render },
];

const PAGE_SIZE = 50;
const WARNINGS_SHOWN = 200;

async function render({ view, heading, params, query, can }) {
  const id = Number(params[0]);
  const [release, quality, warnings] = await Promise.all([
    api.get(`/releases/${id}`),
    api.get(`/releases/${id}/quality`).catch((error) => error),
    api.get(`/releases/${id}/warnings`).catch((error) => error),
  ]);
  heading(`${release.product} ${release.version}`,
    h('p', { class: 'breadcrumb' },
      link('/products', 'Products'), ' › ', link(route(['products', release.product_id]), release.product)));

  const state = {
    search: query.get('search') ?? '',
    offset: Math.max(0, Number(query.get('offset') ?? 0) || 0),
    from: query.get('from') ?? '',
  };
  const remember = () => {
    history.replaceState(null, '', `#${route(['releases', id], state.offset ? state : { ...state, offset: '' })}`);
  };

  view.append(
    h('section', { class: 'card', 'aria-labelledby': 'sbom-title' },
      h('h2', { id: 'sbom-title' }, 'SBOM'), sbomSummary(release)),
  );
  const findings = can('finding.read') ? h('div', { 'aria-busy': 'true' }) : null;
  if (findings) {
    view.append(h('section', { class: 'card', 'aria-labelledby': 'findings-title' },
      h('h2', { id: 'findings-title' }, 'Findings'), findings));
  }
  const artifacts = can('device.read') ? h('div', { 'aria-busy': 'true' }) : null;
  if (artifacts) {
    view.append(h('section', { class: 'card', 'aria-labelledby': 'artifacts-title' },
      h('h2', { id: 'artifacts-title' }, 'Artifacts: the files devices download'), artifacts));
  }
  if (release.sbom) {
    view.append(
      h('section', { class: 'card', 'aria-labelledby': 'quality-title' },
        h('h2', { id: 'quality-title' }, 'Quality: NTIA minimum elements and FDA fields'),
        quality instanceof Error ? errorBox(quality) : qualityTable(quality)),
      h('section', { class: 'card', 'aria-labelledby': 'warnings-title' },
        h('h2', { id: 'warnings-title' }, 'Warnings'),
        warnings instanceof Error ? errorBox(warnings) : warningTable(warnings)),
    );
  }
  const components = h('div');
  const diff = h('div');
  view.append(
    h('section', { class: 'card', 'aria-labelledby': 'components-title' },
      h('h2', { id: 'components-title' }, 'Components'), components),
    h('section', { class: 'card', 'aria-labelledby': 'diff-title' },
      h('h2', { id: 'diff-title' }, 'Compare with another release'), diff),
  );
  await Promise.all([
    findings ? findingSection(findings, release) : null,
    artifacts ? artifactSection(artifacts, release, can) : null,
    componentSection(components, id, state, remember),
    diffSection(diff, release, state, remember),
  ]);
}

/** The release's open findings by severity, each count linking to the filtered list. */
async function findingSection(container, release) {
  const base = { product: release.product, release: release.version };
  try {
    // One item per query: the page's total is the count.
    const [page, ...bySeverity] = await Promise.all([base, ...SEVERITIES.map((severity) => ({ ...base, severity }))]
      .map((filters) => api.get('/findings', { ...filters, limit: 1 })));
    const counts = SEVERITIES.map((s, i) => [s, bySeverity[i].total]).filter(([, n]) => n > 0);
    replace(container,
      page.total === 0
        ? h('p', { class: 'empty' }, 'No open finding in this release.')
        : h('ul', { class: 'counts', 'aria-label': 'Open findings of this release by severity' },
          counts.map(([s, n]) => h('li', null, h('a', { href: `#${findingsRoute({ ...base, severity: [s] })}` },
            severityBadge(s), ' ', h('span', { class: 'num' }, String(n)))))),
      h('p', null, h('a', { href: `#${findingsRoute(base)}`, id: 'release-findings' },
        `${page.total} open finding${page.total === 1 ? '' : 's'} of ${release.product} ${release.version}`),
        ' · ', h('a', { href: `#${findingsRoute({ ...base, state: 'all' })}` }, 'including closed ones')));
  } catch (error) {
    replace(container, errorBox(error));
  } finally {
    container.removeAttribute('aria-busy');
  }
}

/** The API path of a release's artifacts (each segment encoded: a product name may hold a slash). */
function artifactsPath(release) {
  return `/releases/${encodeURIComponent(release.product)}/${encodeURIComponent(release.version)}/artifacts`;
}

/** The release's artifacts with their download links, and the upload form for rollout.manage. */
async function artifactSection(container, release, can) {
  const list = h('div', { 'aria-live': 'polite' });
  const feedback = h('div', { id: 'artifact-feedback', tabindex: '-1', 'aria-live': 'assertive' });
  const load = async () => {
    list.setAttribute('aria-busy', 'true');
    try {
      replace(list, artifactTable(await api.get(artifactsPath(release))));
    } catch (error) {
      replace(list, errorBox(error));
    } finally {
      list.removeAttribute('aria-busy');
    }
  };
  replace(container, list,
    can('rollout.manage') ? [h('h3', null, 'Add a file'), feedback, artifactForm(release, feedback, load),
      h('p', null, h('a', { href: `#${route(['rollouts', 'new'], { product: release.product, version: release.version })}`, id: 'roll-out-release' },
        `Roll out ${release.product} ${release.version}`),
      ' ', h('span', { class: 'muted' }, 'once it is an approved patch release.'))] : null);
  await load();
  container.removeAttribute('aria-busy');
}

function artifactTable(artifacts) {
  return table('The release’s artifacts, by name', ['File', 'Size', 'SHA-256', 'Signer', 'Added'],
    artifacts.map((a) => [
      h('a', { href: `/api/v1/artifacts/${a.id}/content`, download: a.filename, class: 'download', 'aria-label': `Download ${a.filename} (${size(a.size)})` }, a.filename),
      h('span', { class: 'num', title: `${a.size} bytes` }, size(a.size)),
      digest(a),
      a.signer ?? h('span', { class: 'muted' }, 'no signature checked (not a .swu)'),
      [timestamp(a.created_at), ` by ${a.created_by}`],
    ]), { empty: 'No file yet: devices offered this release would have nothing to download.', hideCaption: true });
}

/** A SHA-256 shortened, the whole value in its title and copyable. */
function digest(artifact) {
  const code = h('code', { class: 'hash', title: `SHA-256 ${artifact.sha256}` }, `${artifact.sha256.slice(0, 12)}…`);
  if (!navigator.clipboard) return code;
  const copy = h('button', {
    type: 'button',
    class: 'button-quiet button-small',
    'aria-label': `Copy the SHA-256 of ${artifact.filename}`,
    async onclick() {
      try {
        await navigator.clipboard.writeText(artifact.sha256);
        copy.textContent = 'Copied';
      } catch {
        copy.textContent = 'Not copied';
      }
    },
  }, 'Copy');
  return [code, ' ', copy];
}

function artifactForm(release, feedback, load) {
  const file = h('input', { type: 'file', name: 'file', id: 'artifact-file' });
  const name = h('input', { type: 'text', name: 'filename', id: 'artifact-filename', autocomplete: 'off', spellcheck: 'false' });
  file.addEventListener('change', () => {
    if (file.files[0]) name.value = file.files[0].name;
  });
  const submit = h('button', { type: 'submit' }, 'Add the file');
  const form = h('form', { class: 'stacked', 'aria-label': 'Add a file to the release', novalidate: true },
    field('File', file, 'A .swu is stored only when its signature verifies against the product’s update CA; other files are stored as they are.'),
    field('Name devices see', name, 'The file’s own name unless you change it.'),
    submit);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const chosen = file.files[0];
    if (!chosen) {
      replace(feedback, errorBox({ message: 'choose a file first' }));
      file.focus();
      return;
    }
    submit.disabled = true;
    replace(feedback, h('p', { class: 'muted' }, `Uploading ${size(chosen.size)}…`));
    try {
      const added = await api.upload(artifactsPath(release), { filename: name.value.trim() || chosen.name }, chosen);
      form.reset();
      replace(feedback, h('p', { class: 'alert alert-ok', role: 'status' },
        `${added.filename} added (${size(added.size)}, SHA-256 ${added.sha256.slice(0, 12)}…).`));
      await load();
    } catch (error) {
      replace(feedback, errorBox(error));
      feedback.focus();
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

function sbomSummary(release) {
  const sbom = release.sbom;
  if (!sbom) return h('p', null, 'No SBOM was imported for this release.');
  return [
    facts([
      ['Format', `${sbom.format} ${sbom.spec_version} (${sbom.encoding})`],
      ['Serial number', sbom.serial_number],
      ['Created', sbom.created ? timestamp(sbom.created) : null],
      ['Authors', sbom.authors.length ? sbom.authors.join(', ') : null],
      ['Tools', sbom.tools.length ? sbom.tools.join(', ') : null],
      ['Components', String(sbom.component_count)],
      ['Dependency edges', String(sbom.dependency_count)],
      ['Warnings', String(sbom.warning_count)],
      ['Imported', timestamp(sbom.imported_at)],
      ['SHA-256', h('code', { class: 'hash' }, sbom.sha256)],
    ]),
    h('p', null,
      h('a', { href: `/api/v1/releases/${release.id}/sbom`, download: '', class: 'button' },
        'Download the original SBOM'),
      ' ', h('span', { class: 'muted' }, 'byte for byte as imported')),
  ];
}

const ELEMENT_LABELS = {
  supplier: 'Supplier name',
  name: 'Component name',
  version: 'Version',
  'unique-identifier': 'Other unique identifiers (purl, CPE, SWID)',
  'dependency-relationship': 'Dependency relationship',
  author: 'Author of SBOM data',
  timestamp: 'Timestamp',
  'level-of-support': 'Level of support (FDA)',
  'end-of-support': 'End-of-support date (FDA)',
};

const MISSING_SHOWN = 50;

function qualityTable(quality) {
  const verdict = (ok, label) => badge(ok ? 'ok' : 'bad', `${label}: ${ok ? 'complete' : 'incomplete'}`);
  const rows = quality.elements.map((e) => {
    const percent = e.total === 0 ? 100 : Math.floor((100 * e.with) / e.total);
    const missing = e.missing.length === 0 ? '—' : h('details', null,
      h('summary', null, `${e.missing.length} missing`),
      h('ul', { class: 'refs' },
        e.missing.slice(0, MISSING_SHOWN).map((ref) => h('li', null, h('code', null, ref)))),
      e.missing.length > MISSING_SHOWN ? h('p', { class: 'muted' }, `and ${e.missing.length - MISSING_SHOWN} more`) : null);
    return [
      ELEMENT_LABELS[e.element] ?? e.element,
      e.document_level ? 'document' : 'component',
      h('span', { class: 'num' }, `${e.with} / ${e.total} (${percent} %)`),
      e.complete ? badge('ok', 'complete') : badge('bad', 'incomplete'),
      missing,
    ];
  });
  return [
    h('p', { class: 'verdicts' }, verdict(quality.ntia, 'NTIA'), ' ', verdict(quality.fda, 'FDA'),
      ' ', h('span', { class: 'muted' }, `${quality.components} components checked`)),
    table('Coverage of each element', ['Element', 'Level', 'Present', 'Status', 'Missing in'], rows),
  ];
}

function warningTable(warnings) {
  if (warnings.length === 0) return h('p', { class: 'empty' }, 'The SBOM was read without warnings.');
  return [
    table('Warnings met while reading the SBOM', ['Location', 'Component', 'Message'],
      warnings.slice(0, WARNINGS_SHOWN).map((w) => [
        h('code', null, w.location), w.ref ? h('code', null, w.ref) : '—', w.message,
      ]), { hideCaption: true }),
    warnings.length > WARNINGS_SHOWN
      ? h('p', { class: 'muted' }, `Showing ${WARNINGS_SHOWN} of ${warnings.length}; all of them: GET /api/v1/releases/…/warnings.`)
      : null,
  ];
}

function directLabel(direct) {
  if (direct === true) return 'direct';
  if (direct === false) return 'transitive';
  return 'unknown';
}

async function componentSection(container, id, state, remember) {
  const input = h('input', { type: 'search', name: 'search', id: 'component-search', value: state.search });
  const form = h('form', { class: 'inline-form', role: 'search', 'aria-label': 'Search components' },
    field('Search components', input, 'Name, group, version or package URL; not case-sensitive.'),
    h('button', { type: 'submit' }, 'Search'));
  const results = h('div', { 'aria-live': 'polite' });
  replace(container, form, results);

  const load = async () => {
    results.setAttribute('aria-busy', 'true');
    try {
      const page = await api.get(`/releases/${id}/components`, {
        search: state.search, offset: state.offset, limit: PAGE_SIZE,
      });
      replace(results, componentPage(page, state, load, remember));
    } catch (error) {
      replace(results, errorBox(error));
    } finally {
      results.removeAttribute('aria-busy');
    }
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    state.search = input.value.trim();
    state.offset = 0;
    remember();
    load();
  });
  await load();
}

function componentPage(page, state, load, remember) {
  const first = page.total === 0 ? 0 : page.offset + 1;
  const last = page.offset + page.items.length;
  const go = (offset) => () => {
    state.offset = Math.max(0, offset);
    remember();
    load();
  };
  const pager = h('nav', { class: 'pager', 'aria-label': 'Component pages' },
    h('button', { type: 'button', onclick: go(page.offset - PAGE_SIZE), disabled: page.offset === 0 }, '← Previous'),
    h('span', null, page.total === 0 ? 'No components' : `Components ${first}–${last} of ${page.total}`),
    h('button', { type: 'button', onclick: go(page.offset + PAGE_SIZE), disabled: last >= page.total }, 'Next →'));
  const rows = page.items.map((c) => [
    h('span', null, c.group ? h('span', { class: 'muted' }, `${c.group} / `) : null, c.name),
    c.version ?? '—',
    c.type,
    c.purl ? h('code', { class: 'purl' }, c.purl) : (c.cpes[0] ? h('code', { class: 'purl' }, c.cpes[0]) : '—'),
    c.licenses ?? '—',
    c.supplier ?? '—',
    directLabel(c.direct),
    c.level_of_support ?? '—',
    c.end_of_support ?? '—',
  ]);
  return [
    pager,
    table(state.search ? `Components matching “${state.search}”` : 'Components',
      ['Name', 'Version', 'Type', 'Package URL or CPE', 'Licenses', 'Supplier', 'Dependency', 'Level of support', 'End of support'],
      rows, { empty: state.search ? `No component matches “${state.search}”.` : 'This release has no components.' }),
  ];
}

async function diffSection(container, release, state, remember) {
  const releases = (await api.get(`/products/${release.product_id}/releases`))
    .filter((r) => r.id !== release.id && r.sbom);
  if (!release.sbom || releases.length === 0) {
    replace(container, h('p', { class: 'empty' }, 'There is no other release with an SBOM to compare with.'));
    return;
  }
  const select = h('select', { name: 'from', id: 'diff-from' },
    h('option', { value: '' }, '— choose a release —'),
    releases.map((r) => h('option', { value: String(r.id), selected: String(r.id) === state.from }, r.version)));
  const form = h('form', { class: 'inline-form' },
    field(`Compare ${release.version} with`, select),
    h('button', { type: 'submit' }, 'Compare'));
  const results = h('div', { 'aria-live': 'polite' });
  replace(container, form, results);

  const load = async () => {
    if (!state.from) {
      replace(results);
      return;
    }
    const older = releases.find((r) => String(r.id) === state.from);
    results.setAttribute('aria-busy', 'true');
    try {
      const diff = await api.get(`/releases/${release.id}/diff`, { from: state.from });
      replace(results, diffView(diff, older ? older.version : state.from, release.version));
    } catch (error) {
      replace(results, errorBox(error));
    } finally {
      results.removeAttribute('aria-busy');
    }
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    state.from = select.value;
    remember();
    load();
  });
  await load();
}

function componentName(c) {
  return c.group ? `${c.group} / ${c.name}` : c.name;
}

function diffView(diff, from, to) {
  const changes = (title, list) => h('section', null,
    h('h3', null, `${title} (${list.length})`),
    table(`${title} from ${from} to ${to}`, ['Component', from, to, 'Package'],
      list.map((c) => [componentName(c), c.old_version ?? '—', c.new_version ?? '—', c.package ? h('code', { class: 'purl' }, c.package) : '—']),
      { empty: 'None.', hideCaption: true }));
  const components = (title, list) => h('section', null,
    h('h3', null, `${title} (${list.length})`),
    table(`${title} from ${from} to ${to}`, ['Component', 'Version', 'Package URL'],
      list.map((c) => [componentName(c), c.version ?? '—', c.purl ? h('code', { class: 'purl' }, c.purl) : '—']),
      { empty: 'None.', hideCaption: true }));
  return [
    h('p', null, `From ${from} to ${to}: ${diff.added.length} added, ${diff.removed.length} removed, `
      + `${diff.upgraded.length} upgraded, ${diff.downgraded.length} downgraded, ${diff.changed.length} changed, `
      + `${diff.unchanged} unchanged.`),
    changes('Upgraded', diff.upgraded),
    changes('Downgraded', diff.downgraded),
    changes('Changed (versions not comparable)', diff.changed),
    components('Added', diff.added),
    components('Removed', diff.removed),
  ];
}
