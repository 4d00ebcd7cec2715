// Devices in the field: the list with its filters (product, site, organisation, tag, state,
// exposure to a vulnerability), one device with its facts, what it reports against what is
// recorded, and its rollout actions with every status entry it sent; and the form that
// registers a device and shows its security token once.

import * as api from '../api.js';
import { h, append, replace, table, link, route, facts, field, badge, errorBox, pre } from '../dom.js';
import { timestamp } from '../format.js';
import { words } from './findings/text.js';
import { rolloutRoute } from './rollouts.js';

export const nav = { label: 'Devices', route: '/devices', permission: 'device.read' };

export const routes = [
  { pattern: /^\/devices$/, permission: 'device.read', render: renderList },
  { pattern: /^\/devices\/new$/, permission: 'device.manage', render: renderNew },
  { pattern: /^\/devices\/([^/]+)\/?$/, permission: 'device.read', render: renderDetail },
];

/** A device's states, in the order of the filter's choices. */
const DEVICE_STATES = ['registered', 'in_sync', 'pending', 'error', 'unknown', 'decommissioned'];
const STATE_BADGES = {
  registered: 'neutral', in_sync: 'ok', pending: 'info', error: 'bad', unknown: 'warn', decommissioned: 'neutral',
};
const CLIENTS = [
  ['swupdate', 'SWUpdate (suricatta)'],
  ['rauc_hawkbit_updater', 'RAUC hawkBit updater'],
  ['unknown', 'unknown'],
];
const SOURCES = { import: 'imported', manual: 'entered by hand', action: 'installed by a rollout' };
const SHORT_SOURCES = { import: 'imported', manual: 'by hand', action: 'by a rollout' };
const ASSIGNMENTS = { first: 'first offer', after_skip: 'offered again after a skip', retry: 'retry after an error' };

/** A device's state as a badge (the word is always written). */
export function deviceStateBadge(state) {
  return badge(STATE_BADGES[state] ?? 'neutral', words(state));
}

/**
 * The address of a device's page. A controller id may be `new`, the registration form's
 * address: its page then takes a trailing slash, which the route accepts for every device.
 */
export function deviceRoute(controllerId) {
  const path = route(['devices', controllerId]);
  return controllerId === 'new' ? `${path}/` : path;
}

const devicePath = (controllerId, rest = '') => `/devices/${encodeURIComponent(controllerId)}${rest}`;

/** The version recorded as installed, with where the record came from. */
function releaseText(d) {
  if (!d.installed_release) return h('span', { class: 'muted' }, 'not recorded');
  return [d.installed_release, d.installed_source
    ? h('span', { class: 'muted' }, ` (${SOURCES[d.installed_source] ?? words(d.installed_source)})`) : null];
}

/** The same, for a table cell: the source on a line of its own. */
function releaseCell(d) {
  if (!d.installed_release) return h('span', { class: 'muted' }, 'not recorded');
  return [d.installed_release, d.installed_source
    ? h('span', { class: 'sub' }, SHORT_SOURCES[d.installed_source] ?? words(d.installed_source)) : null];
}

/** What the device reports, marked when it disagrees with the record. */
function reportedText(d) {
  return [
    d.reported_version ?? h('span', { class: 'muted' }, 'nothing yet'),
    d.disagreement ? [' ', h('span', { class: 'badge badge-warn', title: d.disagreement }, '≠ disagrees')] : null,
  ];
}

function tagList(tags) {
  if (!tags.length) return '—';
  return h('ul', { class: 'tags' }, tags.map((t) => h('li', null, t)));
}

/** A select of names (`— any —` first), chosen from the address. */
function nameSelect(name, id, names, chosen, empty) {
  return h('select', { name, id },
    h('option', { value: '' }, empty),
    names.map((n) => h('option', { value: n, selected: chosen === n }, n)),
    chosen && !names.includes(chosen) ? h('option', { value: chosen, selected: true }, chosen) : null);
}

async function renderList({ view, heading, query, navigate, can, announce }) {
  heading('Devices',
    can('device.manage') ? h('p', null, h('a', { href: '#/devices/new', class: 'button', id: 'register-device' }, 'Register a device')) : null);
  const [products, sites, organisations] = await Promise.all([
    can('inventory.read') ? api.get('/products').catch(() => null) : null,
    api.get('/sites').catch(() => []),
    api.get('/organisations').catch(() => []),
  ]);
  const chosen = (key) => query.get(key) ?? '';
  const product = products
    ? nameSelect('product', 'device-product', products.map((p) => p.name), chosen('product'), 'all products')
    : h('input', { type: 'text', name: 'product', id: 'device-product', value: chosen('product') });
  const site = nameSelect('site', 'device-site', sites.map((s) => s.name), chosen('site'), 'all sites');
  const organisation = nameSelect('organisation', 'device-organisation', organisations.map((o) => o.name), chosen('organisation'), 'all organisations');
  const tag = h('input', { type: 'text', name: 'tag', id: 'device-tag', value: chosen('tag'), autocomplete: 'off', spellcheck: 'false' });
  const state = h('select', { name: 'state', id: 'device-state' },
    h('option', { value: '' }, 'any state'),
    DEVICE_STATES.map((s) => h('option', { value: s, selected: chosen('state') === s }, words(s))));
  const exposed = h('input', { type: 'text', name: 'exposed_to', id: 'device-exposed', value: chosen('exposed_to'), autocomplete: 'off', spellcheck: 'false' });
  const form = h('form', { class: 'filters', 'aria-label': 'Filter devices' },
    field('Product', product),
    field('Site', site),
    field('Organisation', organisation),
    field('Tag', tag),
    field('State', state),
    field('Exposed to', exposed, 'A CVE or GHSA id: an open finding of it in the installed release.'),
    h('div', { class: 'actions' },
      h('button', { type: 'submit' }, 'Apply'),
      h('a', { href: '#/devices', class: 'button button-quiet' }, 'Reset')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    navigate(route(['devices'], {
      product: product.value.trim(),
      site: site.value,
      organisation: organisation.value,
      tag: tag.value.trim(),
      state: state.value,
      exposed_to: exposed.value.trim(),
    }));
  });
  view.append(form);
  const filters = {};
  for (const key of ['product', 'site', 'organisation', 'tag', 'state', 'exposed_to']) filters[key] = query.get(key);
  const devices = await api.get('/devices', filters);
  const count = `${devices.length} device${devices.length === 1 ? '' : 's'}`;
  announce(devices.length === 0 ? 'No device matches these filters.' : `${count} ${devices.length === 1 ? 'matches' : 'match'}.`);
  view.append(
    h('p', { class: 'muted', id: 'device-count' }, `${count}, by controller id.`),
    table('Devices, by controller id',
      ['Controller id', 'Product', 'Serial', 'Release', 'Reported', 'Site', 'Organisation', 'Tags', 'State', 'Last poll'],
      devices.map((d) => [
        h('a', { href: `#${deviceRoute(d.controller_id)}`, class: 'id' }, d.controller_id),
        d.product,
        d.serial,
        releaseCell(d),
        reportedText(d),
        d.site ?? '—',
        d.organisation ?? '—',
        tagList(d.tags),
        deviceStateBadge(d.state),
        d.last_poll_at ? timestamp(d.last_poll_at) : h('span', { class: 'muted' }, 'never'),
      ]), { empty: 'No device matches these filters.', hideCaption: true }));
}

function card(id, title, ...content) {
  return h('section', { class: 'card', 'aria-labelledby': id }, h('h2', { id }, title), ...content);
}

async function renderDetail({ view, heading, params }) {
  const [id] = params;
  const [device, actions] = await Promise.all([
    api.get(devicePath(id)),
    api.get(devicePath(id, '/actions')),
  ]);
  heading(`Device ${device.controller_id}`,
    h('p', { class: 'breadcrumb' }, link('/devices', 'Devices'), ' › ', device.controller_id));
  view.append(
    card('device-facts', 'Device',
      device.disagreement
        ? h('p', { class: 'alert alert-warn', id: 'device-disagreement' }, h('strong', null, 'The device disagrees with the record: '), device.disagreement)
        : null,
      facts([
        ['State', deviceStateBadge(device.state)],
        ['Why decommissioned', device.decommission_reason],
        ['Product', device.product],
        ['Serial', device.serial],
        ['Hardware', device.hardware],
        ['Installed release', releaseText(device)],
        ['Recorded', device.installed_at ? timestamp(device.installed_at) : null],
        ['Reported by the device', reportedText(device)],
        ['Site', device.site ?? '—'],
        ['Organisation', device.organisation ?? '—'],
        ['Tags', tagList(device.tags)],
        ['Update client', CLIENTS.find(([value]) => value === device.client)?.[1] ?? device.client],
        ['Last poll', device.last_poll_at ? timestamp(device.last_poll_at) : 'never'],
        ['Registered', timestamp(device.created_at)],
        ['Last changed', timestamp(device.updated_at)],
      ])),
    card('device-actions', 'Rollout actions',
      actions.length === 0
        ? h('p', { class: 'empty' }, 'No rollout has offered this device a release yet.')
        : [h('p', { class: 'muted' }, 'Newest first, each with every status entry the device sent, oldest first.'),
          actions.map(actionBlock)]),
  );
}

/** One action: its rollout, wave, state and assignment, then its status entries. */
function actionBlock(action) {
  const title = `action-${action.id}`;
  return h('section', { class: 'action', 'aria-labelledby': title },
    h('h3', { id: title }, `Action ${action.id}: rollout `,
      h('a', { href: `#${rolloutRoute(action.rollout)}` }, action.rollout), `, wave ${action.wave}`),
    facts([
      ['State', [actionStateBadge(action.state), action.active ? h('span', { class: 'muted' }, ' open') : null]],
      ['Assignment', ASSIGNMENTS[action.assignment] ?? words(action.assignment)],
      ['Created', timestamp(action.created_at)],
      ['Closed', action.closed_at ? timestamp(action.closed_at) : null],
      ['Last detail', action.last_detail],
    ]),
    table(`Status entries of action ${action.id}, oldest first`,
      ['When', 'Status', 'Channel', 'Execution / result', 'Code', 'Details'],
      action.statuses.map((s) => [
        timestamp(s.at),
        actionStateBadge(s.status),
        s.channel,
        [s.execution ?? '—', ' / ', s.result ?? '—'],
        s.code === null || s.code === undefined ? '—' : h('span', { class: 'num' }, String(s.code)),
        detailLines(s, action.id),
      ]), { empty: 'The device has sent no status for this action yet.', hideCaption: true }));
}

function detailLines(status, actionId) {
  const dropped = status.details_dropped > 0
    ? h('p', { class: 'muted dropped' }, `${status.details_dropped} more line${status.details_dropped === 1 ? '' : 's'} dropped`)
    : null;
  if (!status.details.length) return dropped ?? '—';
  return [pre(status.details.join('\n'), `Detail lines of action ${actionId} at ${status.at}`), dropped];
}

const ACTION_BADGES = {
  finished: 'ok', downloaded: 'ok', error: 'bad', skipped: 'warn', canceled: 'neutral', canceling: 'warn', scheduled: 'neutral',
};

/** An action's (or a status entry's) state as a badge. */
export function actionStateBadge(state) {
  return badge(ACTION_BADGES[state] ?? 'info', words(state));
}

async function renderNew({ view, heading, can, announce }) {
  const [products, sites, organisations] = await Promise.all([
    can('inventory.read') ? api.get('/products').catch(() => null) : null,
    api.get('/sites').catch(() => []),
    api.get('/organisations').catch(() => []),
  ]);
  heading('Register a device', h('p', { class: 'breadcrumb' }, link('/devices', 'Devices'), ' › register'));
  const controllerId = h('input', { type: 'text', name: 'controller_id', id: 'new-device-id', required: true, autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false' });
  const product = products
    ? h('select', { name: 'product', id: 'new-device-product', required: true },
      h('option', { value: '' }, '— choose —'),
      products.map((p) => h('option', { value: p.name }, p.name)))
    : h('input', { type: 'text', name: 'product', id: 'new-device-product', required: true, autocomplete: 'off' });
  const serial = h('input', { type: 'text', name: 'serial', id: 'new-device-serial', required: true, autocomplete: 'off', spellcheck: 'false' });
  const hardware = h('input', { type: 'text', name: 'hardware', id: 'new-device-hardware', autocomplete: 'off', spellcheck: 'false' });
  const site = h('select', { name: 'site', id: 'new-device-site' },
    h('option', { value: '' }, '— none —'),
    sites.map((s) => h('option', { value: s.name }, `${s.name} (${s.organisation})`)));
  const organisation = h('select', { name: 'organisation', id: 'new-device-organisation' },
    h('option', { value: '' }, '— the site’s, or none —'),
    organisations.map((o) => h('option', { value: o.name }, o.name)));
  const tags = h('input', { type: 'text', name: 'tags', id: 'new-device-tags', autocomplete: 'off', spellcheck: 'false' });
  const release = products
    ? h('select', { name: 'release', id: 'new-device-release' }, h('option', { value: '' }, '— not recorded —'))
    : h('input', { type: 'text', name: 'release', id: 'new-device-release', autocomplete: 'off' });
  const client = h('select', { name: 'client', id: 'new-device-client' },
    CLIENTS.map(([value, label]) => h('option', { value, selected: value === 'unknown' }, label)));
  if (products) {
    product.addEventListener('change', async () => {
      replace(release, h('option', { value: '' }, '— not recorded —'));
      if (!product.value) return;
      try {
        const chosen = products.find((p) => p.name === product.value);
        const releases = await api.get(`/products/${chosen.id}/releases`);
        append(release, releases.map((r) => h('option', { value: r.version }, r.version)));
      } catch (error) {
        replace(feedback, errorBox(error));
      }
    });
  }
  const feedback = h('div', { id: 'new-device-feedback', tabindex: '-1', 'aria-live': 'assertive' });
  const submit = h('button', { type: 'submit' }, 'Register the device');
  const form = h('form', { class: 'stacked', 'aria-labelledby': 'new-device-title', novalidate: true },
    feedback,
    field('Controller id', controllerId, 'How the device names itself to DDI: 1 to 256 characters, no blanks, no slash.'),
    field('Product', product),
    field('Serial number', serial, 'Unique per product.'),
    field('Hardware revision', hardware),
    field('Site', site),
    field('Organisation', organisation, 'Defaults to the site’s organisation; must be it when both are chosen.'),
    field('Tags', tags, 'Separated by commas or blanks; a tag has no blanks.'),
    field('Installed release', release, 'Recorded as entered by hand.'),
    field('Update client', client, 'SWUpdate ignores maintenance windows and soft updates; rollouts take that into account.'),
    submit);
  const result = h('div');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = {
      controller_id: controllerId.value.trim(),
      product: product.value.trim(),
      serial: serial.value.trim(),
      hardware: hardware.value.trim() || null,
      site: site.value || null,
      organisation: organisation.value || null,
      tags: tags.value.split(/[\s,]+/).filter(Boolean),
      release: release.value.trim() || null,
      client: client.value,
    };
    submit.disabled = true;
    replace(feedback, h('p', { class: 'muted' }, 'Saving…'));
    try {
      const registered = await api.post('/devices', body);
      replace(feedback);
      formCard.hidden = true;
      replace(result, tokenBox(registered, () => {
        form.reset();
        replace(release, h('option', { value: '' }, '— not recorded —'));
        replace(result);
        formCard.hidden = false;
        controllerId.focus();
      }));
      announce(`Device ${registered.device.controller_id} registered. Its token is shown once.`);
      result.querySelector('h2')?.focus();
    } catch (error) {
      replace(feedback, errorBox(error));
      feedback.focus();
    } finally {
      submit.disabled = false;
    }
  });
  const formCard = h('section', { class: 'card', 'aria-labelledby': 'new-device-title' },
    h('h2', { id: 'new-device-title' }, 'The device'), form);
  view.append(formCard, result);
}

/** The token of a device just registered: shown this once, with a copy button. */
function tokenBox(registered, again) {
  const device = registered.device;
  const token = h('input', {
    type: 'text', id: 'device-token', value: registered.token, readonly: true, autocomplete: 'off', spellcheck: 'false', class: 'token',
  });
  const copied = h('span', { role: 'status', class: 'muted' });
  const copy = navigator.clipboard ? h('button', {
    type: 'button',
    class: 'button-quiet',
    async onclick() {
      try {
        await navigator.clipboard.writeText(registered.token);
        copied.textContent = ' Copied.';
      } catch {
        token.select();
        copied.textContent = ' Select the token and copy it.';
      }
    },
  }, 'Copy the token') : null;
  return h('section', { class: 'card token-box', 'aria-labelledby': 'device-registered' },
    h('h2', { tabindex: '-1', id: 'device-registered' }, `Device ${device.controller_id} registered`),
    h('p', { class: 'alert alert-warn' },
      h('strong', null, 'Copy its security token now: it is not shown again. '),
      'aftercare keeps only its SHA-256; a lost token cannot be read back.'),
    h('div', { class: 'inline-form' },
      field('Security token', token, 'The device sends it as “Authorization: TargetToken …” (SWUpdate: targettoken in its [suricatta] section).'),
      copy ? h('div', null, copy, copied) : null),
    h('p', null,
      h('a', { href: `#${deviceRoute(device.controller_id)}`, id: 'registered-device-link' }, `The page of ${device.controller_id}`),
      ' · ',
      h('button', { type: 'button', class: 'button-quiet', onclick: again }, 'Register another device')));
}
