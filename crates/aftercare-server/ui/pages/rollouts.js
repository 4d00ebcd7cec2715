// Rollouts of approved patch releases: the list, the form that creates one (the server checks
// the approval gate, the filter, anti-downgrade and the update type, and its refusal is shown
// as it reads), and one rollout's live progress — per wave a bar built from the counts with
// the numbers written beside it, the current wave, hold points, the pause reason and the
// distribution — refreshed every few seconds while it moves, with the actions of those who
// may run it: start, pause, resume, retry the failed, cancel; and, at a hold point, the signed
// go or no-go of those who may approve patches (patch.approve, 21 CFR Part 11).

import * as api from '../api.js';
import { h, replace, table, link, route, facts, field, badge, errorBox } from '../dom.js';
import { timestamp } from '../format.js';
import { vocabulary } from '../vocabulary.js';
import { signatureFields } from '../signature.js';
import { words } from './findings/text.js';
import { patchRoute } from './patch/text.js';

export const nav = { label: 'Rollouts', route: '/rollouts', permission: 'device.read' };

export const routes = [
  { pattern: /^\/rollouts$/, permission: 'device.read', render: renderList },
  { pattern: /^\/rollouts\/new$/, permission: 'rollout.manage', render: renderNew },
  { pattern: /^\/rollouts\/([^/]+)\/?$/, permission: 'device.read', render: renderDetail },
];

/** The states in which a rollout still moves: its page refreshes itself. */
const LIVE = ['starting', 'running', 'paused', 'awaiting_decision'];
/** How often a live rollout's page asks for its counts, in milliseconds. */
const REFRESH_MS = 3000;

const STATE_BADGES = {
  created: 'neutral', starting: 'info', running: 'info', paused: 'warn', awaiting_decision: 'warn', finished: 'ok', canceled: 'neutral',
};
const UPDATE_TYPES = [
  ['forced', 'forced: installed as soon as it is offered'],
  ['soft', 'soft: the device (or its user) decides when'],
  ['timeforced', 'timeforced: soft, then forced after a while'],
  ['download_only', 'download only: downloaded, not installed'],
];

/** A rollout's state as a badge (the word is always written). */
export function rolloutStateBadge(state) {
  return badge(STATE_BADGES[state] ?? 'neutral', words(state));
}

/**
 * The address of a rollout's page. A rollout may be named `new`, the form's address: its page
 * then takes a trailing slash, which the route accepts for every rollout.
 */
export function rolloutRoute(name) {
  const path = route(['rollouts', name]);
  return name === 'new' ? `${path}/` : path;
}

const rolloutPath = (name, rest = '') => `/rollouts/${encodeURIComponent(name)}${rest}`;

/**
 * The groups a progress bar shows, in order, each from the action states it sums; `none`
 * is a device without an action yet. A download-only rollout is done when the device has
 * downloaded.
 */
function groupsOf(counts, updateType) {
  const n = (...states) => states.reduce((sum, s) => sum + (counts[s] ?? 0), 0);
  const downloadOnly = updateType === 'download_only';
  return [
    ['finished', 'finished', n('finished', ...(downloadOnly ? ['downloaded'] : []))],
    ['error', 'error', n('error')],
    ['running', 'running', n('running', 'retrieved', 'downloading', 'canceling', ...(downloadOnly ? [] : ['downloaded']))],
    ['skipped', 'skipped', n('skipped')],
    ['waiting', 'waiting', n('scheduled', 'none')],
    ['canceled', 'canceled', n('canceled')],
  ].filter(([key, , count]) => key !== 'canceled' || count > 0);
}

/** A bar of the groups' shares (decorative) with the numbers written beside it. */
function progress(counts, devices, updateType) {
  const groups = groupsOf(counts, updateType);
  const bar = h('div', { class: 'progress', 'aria-hidden': 'true' });
  for (const [key, , count] of groups) {
    if (count === 0) continue;
    const segment = h('span', { class: `progress-${key}` });
    // CSSOM, not a style attribute: the Content-Security-Policy allows no inline style.
    segment.style.flexGrow = String(count);
    bar.append(segment);
  }
  return h('div', { class: 'wave-progress' },
    bar,
    h('ul', { class: 'progress-counts' },
      h('li', { class: 'progress-of' },
        h('span', { class: 'swatch progress-finished', 'aria-hidden': 'true' }), `${groups[0][2]} of ${devices} finished`),
      groups.slice(1).map(([key, label, count]) => h('li', null,
        h('span', { class: `swatch progress-${key}`, 'aria-hidden': 'true' }), `${label} `, h('span', { class: 'num' }, String(count))))));
}

function sum(counts) {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

function waveText(r) {
  if (r.wave === 0) return h('span', { class: 'muted' }, 'not started');
  return `${r.wave} of ${r.waves.length}`;
}

function releaseLink(r, can) {
  const text = `${r.product} ${r.version}`;
  return can('finding.read') ? h('a', { href: `#${patchRoute(r.product, r.version)}` }, text) : text;
}

/** A message to show once on the next render of a rollout page (after an action). */
let flash = null;

async function renderList({ view, heading, can, announce }) {
  heading('Rollouts',
    can('rollout.manage') ? h('p', null, h('a', { href: '#/rollouts/new', class: 'button', id: 'new-rollout' }, 'New rollout')) : null);
  const rollouts = await api.get('/rollouts');
  announce(`${rollouts.length} rollout${rollouts.length === 1 ? '' : 's'}.`);
  view.append(
    h('p', { class: 'muted', id: 'rollout-count' }, `${rollouts.length} rollout${rollouts.length === 1 ? '' : 's'}, newest first.`),
    table('Rollouts, newest first', ['Rollout', 'Release', 'State', 'Wave', 'Installed', 'Failed', 'Devices', 'Created'],
      rollouts.map((r) => [
        h('a', { href: `#${rolloutRoute(r.name)}`, class: 'id' }, r.name),
        releaseLink(r, can),
        rolloutStateBadge(r.state),
        waveText(r),
        h('span', { class: 'num' }, String(r.totals.finished ?? 0)),
        h('span', { class: 'num' }, String(r.totals.error ?? 0)),
        h('span', { class: 'num' }, String(r.waves.reduce((n, w) => n + w.devices, 0))),
        timestamp(r.created_at),
      ]), { empty: 'No rollout yet.', hideCaption: true }));
}

function card(id, title, ...content) {
  return h('section', { class: 'card', 'aria-labelledby': id }, h('h2', { id, tabindex: '-1' }, title), ...content);
}

async function renderNew({ view, heading, query, navigate, can, announce }) {
  const products = can('inventory.read') ? await api.get('/products').catch(() => null) : null;
  heading('New rollout', h('p', { class: 'breadcrumb' }, link('/rollouts', 'Rollouts'), ' › new'));
  const feedback = h('div', { id: 'new-rollout-feedback', tabindex: '-1', 'aria-live': 'assertive' });
  const chosenProduct = query.get('product') ?? '';
  const chosenVersion = query.get('version') ?? '';
  const name = h('input', { type: 'text', name: 'name', id: 'new-rollout-name', required: true, autocomplete: 'off', spellcheck: 'false' });
  const product = products
    ? h('select', { name: 'product', id: 'new-rollout-product', required: true },
      h('option', { value: '' }, '— choose —'),
      products.map((p) => h('option', { value: p.name, selected: p.name === chosenProduct }, p.name)))
    : h('input', { type: 'text', name: 'product', id: 'new-rollout-product', value: chosenProduct, required: true, autocomplete: 'off' });
  const version = products
    ? h('select', { name: 'version', id: 'new-rollout-version', required: true }, h('option', { value: '' }, '— choose a product first —'))
    : h('input', { type: 'text', name: 'version', id: 'new-rollout-version', value: chosenVersion, required: true, autocomplete: 'off' });
  const loadVersions = async (wanted) => {
    replace(version, h('option', { value: '' }, product.value ? '— choose —' : '— choose a product first —'));
    const chosen = products.find((p) => p.name === product.value);
    if (!chosen) return;
    version.setAttribute('aria-busy', 'true');
    try {
      const releases = await api.get(`/products/${chosen.id}/releases`);
      version.append(...releases.map((r) => h('option', { value: r.version, selected: r.version === wanted }, r.version)));
    } catch (error) {
      replace(feedback, errorBox(error));
    } finally {
      version.removeAttribute('aria-busy');
    }
  };
  if (products) product.addEventListener('change', () => loadVersions(''));
  const filter = h('input', { type: 'text', name: 'filter', id: 'new-rollout-filter', required: true, autocomplete: 'off', spellcheck: 'false' });
  const waves = h('input', { type: 'text', name: 'waves', id: 'new-rollout-waves', value: '1%,10%,100%', autocomplete: 'off', spellcheck: 'false' });
  const success = h('input', { type: 'text', name: 'success_threshold', id: 'new-rollout-success', value: '95%', autocomplete: 'off', inputmode: 'decimal' });
  const error = h('input', { type: 'text', name: 'error_threshold', id: 'new-rollout-error', value: '5%', autocomplete: 'off', inputmode: 'decimal' });
  const updateType = h('select', { name: 'update_type', id: 'new-rollout-type' },
    UPDATE_TYPES.map(([value, label]) => h('option', { value, selected: value === 'forced' }, label)));
  const windowInput = h('input', { type: 'text', name: 'window', id: 'new-rollout-window', autocomplete: 'off', spellcheck: 'false' });
  const holds = h('input', { type: 'text', name: 'hold_after', id: 'new-rollout-holds', autocomplete: 'off', inputmode: 'numeric' });
  const dynamic = h('input', { type: 'checkbox', name: 'dynamic', id: 'new-rollout-dynamic' });
  const rollback = h('input', { type: 'checkbox', name: 'rollback', id: 'new-rollout-rollback' });
  const rationale = h('textarea', { name: 'rationale', id: 'new-rollout-rationale', rows: '3' });
  const rationaleField = field('Why roll back', rationale, 'Required for a rollback, in sentences: it lets the release be older than the one installed.');
  const syncRollback = () => { rationaleField.hidden = !rollback.checked; };
  rollback.addEventListener('change', syncRollback);
  syncRollback();
  const submit = h('button', { type: 'submit' }, 'Create the rollout');
  const form = h('form', { class: 'stacked', 'aria-labelledby': 'new-rollout-title', novalidate: true },
    feedback,
    field('Name', name, 'Unique; how people and the audit trail name the rollout.'),
    h('fieldset', { class: 'checks' }, h('legend', null, 'Release to deliver'),
      field('Product', product),
      field('Version', version, 'An approved patch release: the approval gate must clear it.')),
    field('Target filter', filter, h('span', null,
      'Terms ', h('code', null, 'key=value'), ' separated by blanks; keys ', h('code', null, 'release'),
      ' (the installed version), ', h('code', null, 'site'), ', ', h('code', null, 'organisation'), ', ',
      h('code', null, 'tag'), ', ', h('code', null, 'hw'), ', ', h('code', null, 'product'),
      '. Different keys must all hold; a repeated key means either (', h('code', null, 'site=A site=B'),
      '). Quote a value with blanks (', h('code', null, 'site="St Mary ICU"'), '); a final * matches by prefix (',
      h('code', null, 'release=2.1.*'), '). Only devices of the release’s product are targeted.')),
    field('Waves', waves, h('span', null, 'Cumulative targets: ', h('code', null, '1%,10%,100%'), ' or ',
      h('code', null, '10,100,all'), '; the last is 100% or all.')),
    field('Success threshold', success, 'A wave is done, and the next starts, when this share of its devices installed.'),
    field('Error threshold', error, 'A wave with more errors than this share pauses the rollout by itself.'),
    field('Update type', updateType),
    field('Maintenance window', windowInput, h('span', null, 'Optional: ', h('code', null, 'CRON DURATION TZ'), ', e.g. ',
      h('code', null, '0 2 * * * 03:00 Europe/Berlin'), ' (every night from 02:00 for three hours).')),
    field('Hold points', holds, 'Optional: the waves, by number, after which a person decides go or no-go (2, 3).'),
    h('div', { class: 'field-check' }, dynamic,
      h('label', { for: 'new-rollout-dynamic' }, 'Dynamic: devices registered later join the last wave')),
    h('div', { class: 'field-check' }, rollback,
      h('label', { for: 'new-rollout-rollback' }, 'This is a rollback')),
    rationaleField,
    submit);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const text = (control) => control.value.trim() || null;
    const body = {
      name: name.value.trim(),
      product: product.value.trim(),
      version: version.value.trim(),
      filter: filter.value.trim(),
      waves: text(waves),
      success_threshold: text(success),
      error_threshold: text(error),
      update_type: updateType.value,
      window: text(windowInput),
      hold_after: holds.value.split(/[\s,]+/).filter(Boolean).map(Number),
      dynamic: dynamic.checked,
      rollback: rollback.checked ? rationale.value.trim() : null,
    };
    if (body.hold_after.some((n) => !Number.isInteger(n) || n < 1)) {
      replace(feedback, errorBox({ message: 'hold points are wave numbers from 1, separated by commas' }));
      holds.focus();
      return;
    }
    submit.disabled = true;
    replace(feedback, h('p', { class: 'muted' }, 'Saving…'));
    try {
      const created = await api.post('/rollouts', body);
      flash = { name: created.name, text: `Rollout ${created.name} created for ${created.product} ${created.version}: start it when ready.` };
      announce(flash.text);
      navigate(rolloutRoute(created.name));
    } catch (failure) {
      replace(feedback, errorBox(failure));
      feedback.focus();
    } finally {
      submit.disabled = false;
    }
  });
  view.append(h('section', { class: 'card', 'aria-labelledby': 'new-rollout-title' },
    h('h2', { id: 'new-rollout-title' }, 'What to deliver, to which devices, and how'), form));
  if (products && chosenProduct) await loadVersions(chosenVersion);
}

async function renderDetail(context) {
  const { view, heading, params, can, announce } = context;
  const [name] = params;
  // The words of a signature's meaning, for the go or no-go at a hold point: fetched with
  // the rollout, so that the page is whole when it first shows.
  const [fetched, terms] = await Promise.all([
    api.get(rolloutPath(name)),
    can('patch.approve') ? vocabulary() : null,
  ]);
  let rollout = fetched;
  heading(`Rollout ${rollout.name}`, h('p', { class: 'breadcrumb' }, link('/rollouts', 'Rollouts'), ' › ', rollout.name));
  const flashed = flash && flash.name === rollout.name ? h('p', { class: 'alert alert-ok', role: 'status' }, flash.text) : null;
  if (flashed) view.append(flashed);
  flash = null;
  const summary = h('div');
  const waves = h('div');
  const refreshed = h('p', { class: 'muted', id: 'rollout-refreshed' });
  const actions = can('rollout.manage') || can('patch.approve') ? h('div') : null;
  view.append(
    card('rollout-summary', 'Rollout', summary),
    card('rollout-waves', 'Progress', refreshed, waves),
    actions,
  );
  const draw = (r, stateChanged) => {
    redraw(summary, summaryOf(r, can));
    redraw(waves, waveTable(r));
    replace(refreshed, LIVE.includes(r.state)
      ? ['Updated ', timestamp(new Date().toISOString()), `; refreshed every ${REFRESH_MS / 1000} s while the rollout moves.`]
      : 'The rollout no longer moves.');
    if (actions && stateChanged) {
      const hadFocus = actions.contains(document.activeElement);
      const built = actionCard(r, { ...context, terms });
      updateActions = built.update;
      replace(actions, built.node);
      if (hadFocus) actions.querySelector('h2')?.focus();
    } else if (updateActions) {
      // Only what the counts change: a form being filled in stays as it is.
      updateActions(r);
    }
  };
  let updateActions = null;
  draw(rollout, true);

  // Refreshes while the rollout moves. The app replaces the view on every navigation, so a
  // view no longer in the document means the page was left: the loop ends there.
  const schedule = () => {
    if (LIVE.includes(rollout.state)) setTimeout(refresh, REFRESH_MS);
  };
  const refresh = async () => {
    if (!view.isConnected) return;
    if (!document.hidden) {
      try {
        const next = await api.get(rolloutPath(rollout.name));
        if (!view.isConnected) return;
        const stateChanged = next.state !== rollout.state;
        const waveChanged = next.wave !== rollout.wave;
        rollout = next;
        // The message of the last action no longer describes the rollout.
        if (stateChanged) flashed?.remove();
        draw(next, stateChanged);
        if (stateChanged) announce(`Rollout ${next.name} is now ${words(next.state)}.`);
        else if (waveChanged) announce(`Rollout ${next.name} is at wave ${next.wave} of ${next.waves.length}.`);
      } catch (error) {
        if (!view.isConnected) return;
        replace(refreshed, errorBox(error));
      }
    }
    schedule();
  };
  schedule();
}

/**
 * Replaces a part of the page that a refresh redraws, keeping the keyboard focus on the same
 * control (by its position) and a table scrolled sideways where it was.
 */
function redraw(container, content) {
  const focusables = () => [...container.querySelectorAll('a[href], button, input, select, textarea, [tabindex="0"]')];
  const focused = container.contains(document.activeElement) ? focusables().indexOf(document.activeElement) : -1;
  const scrolled = [...container.querySelectorAll('.table-wrap')].map((wrap) => wrap.scrollLeft);
  replace(container, content);
  container.querySelectorAll('.table-wrap').forEach((wrap, i) => { wrap.scrollLeft = scrolled[i] ?? 0; });
  if (focused >= 0) focusables()[focused]?.focus();
}

function summaryOf(r, can) {
  const devices = r.waves.reduce((n, w) => n + w.devices, 0);
  return [
    r.pause_reason && ['paused', 'canceled', 'awaiting_decision'].includes(r.state)
      ? h('p', { class: r.state === 'canceled' ? 'alert alert-info' : 'alert alert-warn', id: 'rollout-pause-reason' },
        h('strong', null, r.state === 'canceled' ? 'Canceled: ' : 'Paused: '), r.pause_reason)
      : null,
    facts([
      ['State', rolloutStateBadge(r.state)],
      ['Wave', waveText(r)],
      ['Release', releaseLink(r, can)],
      ['Kind', r.kind === 'rollback' ? badge('warn', 'rollback') : 'update'],
      ['Why roll back', r.rationale],
      ['Target filter', h('code', null, r.filter)],
      ['Waves as given', h('code', null, r.waves_spec)],
      ['Thresholds', `success ${r.success_threshold}, error ${r.error_threshold}`],
      ['Update type', words(r.update_type)],
      ['Maintenance window', r.window ? h('code', null, r.window) : 'none: any time'],
      ['Devices registered later', r.dynamic ? 'join the last wave (dynamic)' : 'are not added'],
      ['Distribution', r.distribution_id !== null && r.distribution_id !== undefined
        ? ['recorded: every targeted device was offered the release',
          can('finding.read') ? [' (', h('a', { href: `#${patchRoute(r.product, r.version)}` }, 'the patch release’s distributions'), ')'] : null]
        : 'not yet: recorded once every targeted device has been offered the release (and, when the policy asks for it, once a share of them has installed it)'],
      ['Created', [timestamp(r.created_at), ` by ${r.created_by}`]],
    ]),
    r.waves.length ? h('div', { class: 'totals' }, h('h3', null, `All ${devices} devices`), progress(r.totals, devices, r.update_type)) : null,
  ];
}

function waveTable(r) {
  if (r.waves.length === 0) {
    return h('p', { class: 'empty' }, r.state === 'created'
      ? 'The waves are planned when the rollout starts, from the devices the filter targets then.'
      : 'No wave was planned.');
  }
  const live = LIVE.includes(r.state);
  const rows = r.waves.map((w) => {
    const current = live && w.wave === r.wave;
    return h('tr', { class: current ? 'current' : null, 'aria-current': current ? 'step' : null },
      h('th', { scope: 'row' }, `Wave ${w.wave}`, current ? [' ', badge('info', 'current')] : null),
      h('td', null, h('span', { class: 'num' }, String(w.devices))),
      h('td', null, progress(w.counts, w.devices, r.update_type)),
      h('td', null, w.started_at ? timestamp(w.started_at) : h('span', { class: 'muted' }, 'not yet')),
      h('td', null, w.hold_after
        ? [badge('warn', 'hold point'), ' ', w.decision ? `decided: ${words(w.decision)}` : 'a person decides go or no-go']
        : '—'));
  });
  return h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': 'Waves' },
    h('table', { class: 'waves' },
      h('caption', { class: 'visually-hidden' }, 'The waves, with the state of each device’s latest action'),
      h('thead', null, h('tr', null, ['Wave', 'Devices', 'Progress', 'Started', 'After it'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', null, rows)));
}

/**
 * The actions that apply in the rollout's state, for those with rollout.manage: the card, and
 * `update(rollout)` for new counts in the same state (the retry button follows the errors).
 */
function actionCard(r, { navigate, announce, can, me, terms }) {
  const manage = can('rollout.manage');
  // Those who only approve patches act at a hold point, and nowhere else.
  if (!manage && r.state !== 'awaiting_decision') return { node: h('div'), update: () => {} };
  const feedback = h('div', { id: 'rollout-feedback', tabindex: '-1', 'aria-live': 'assertive' });
  const run = async (button, call, message, focusOnError) => {
    button.disabled = true;
    replace(feedback, h('p', { class: 'muted' }, 'Saving…'));
    try {
      await call();
      flash = { name: r.name, text: message };
      announce(message);
      navigate(rolloutRoute(r.name));
    } catch (error) {
      replace(feedback, errorBox(error));
      (focusOnError ?? feedback).focus();
      button.disabled = false;
    }
  };
  const path = (rest) => rolloutPath(r.name, rest);
  const parts = [feedback];
  if (r.state === 'created' && manage) {
    const start = h('button', { type: 'button', id: 'rollout-start' }, 'Start the rollout');
    start.addEventListener('click', () => run(start, () => api.post(path('/start'), {}), `Rollout ${r.name} started.`));
    parts.push(h('p', null, start, ' ', h('span', { class: 'hint' }, 'The approval gate is checked again; the first wave’s devices are offered the release.')));
  }
  if (r.state === 'paused' && manage) {
    const resume = h('button', { type: 'button', id: 'rollout-resume' }, 'Resume the rollout');
    resume.addEventListener('click', () => run(resume, () => api.post(path('/resume'), {}), `Rollout ${r.name} resumed.`));
    parts.push(h('p', null, resume, ' ', h('span', { class: 'hint' }, 'The approval gate is checked again, and so is the current wave: one still above its error threshold pauses the rollout again at once.')));
  }
  if (r.state === 'awaiting_decision') {
    parts.push(can('patch.approve') && terms
      ? decisionForm(r, { me, can, terms, run, feedback, path })
      : h('p', null, `Wave ${r.wave} is done and has a hold point: a person who may approve patches `
        + '(patch.approve) decides go or no-go, with an electronic signature.'));
  }
  const retrySlot = h('div');
  const update = (current) => {
    const failed = current.totals.error ?? 0;
    if (current.state !== 'running' || failed === 0 || !manage) {
      replace(retrySlot);
      return;
    }
    const text = `Retry the ${failed} failed device${failed === 1 ? '' : 's'}`;
    const existing = retrySlot.querySelector('button');
    if (existing) {
      existing.textContent = text;
      return;
    }
    const retry = h('button', { type: 'button', id: 'rollout-retry' }, text);
    retry.addEventListener('click', () => run(retry, () => api.post(path('/retry-failed'), {}), `The release is offered again to the devices that failed in ${r.name}.`));
    replace(retrySlot, h('p', null, retry, ' ', h('span', { class: 'hint' }, 'Offers the release again to the devices whose action failed, in the waves started so far.')));
  };
  if (r.state === 'running' && manage) {
    parts.push(retrySlot);
    const reason = h('textarea', { name: 'pause_reason', id: 'rollout-pause-reason-input', rows: '2' });
    const pause = h('button', { type: 'submit' }, 'Pause the rollout');
    parts.push(h('h3', null, 'Pause'));
    const form = h('form', { class: 'stacked', 'aria-label': 'Pause the rollout' },
      field('Why pause', reason, 'Required; kept with the rollout. Devices already offered the release go on; nothing new is offered.'), pause);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      run(pause, () => api.post(path('/pause'), { reason: reason.value }), `Rollout ${r.name} paused.`, reason);
    });
    parts.push(form);
  }
  if ((LIVE.includes(r.state) || r.state === 'created') && manage) {
    const reason = h('textarea', { name: 'cancel_reason', id: 'rollout-cancel-reason', rows: '2' });
    const confirm = h('input', { type: 'checkbox', name: 'confirm', id: 'rollout-cancel-confirm' });
    const cancel = h('button', { type: 'submit', class: 'button-danger' }, 'Cancel the rollout');
    parts.push(h('h3', null, 'Cancel'));
    const form = h('form', { class: 'stacked', 'aria-label': 'Cancel the rollout' },
      field('Why cancel', reason, 'Required; kept with the rollout.'),
      h('div', { class: 'field-check confirm' }, confirm,
        h('label', { for: 'rollout-cancel-confirm' }, 'Yes, cancel it: devices not offered the release yet get nothing, offered ones are asked to cancel. This cannot be undone.')),
      cancel);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      if (!confirm.checked) {
        replace(feedback, errorBox({ message: 'tick the confirmation to cancel the rollout' }));
        confirm.focus();
        return;
      }
      run(cancel, () => api.post(path('/cancel'), { reason: reason.value }), `Rollout ${r.name} canceled.`, reason);
    });
    parts.push(form);
  }
  if (parts.length === 1) parts.push(h('p', { class: 'muted' }, `The rollout is ${words(r.state)}: nothing more can be done with it.`));
  update(r);
  return { node: card('rollout-actions', 'Act on the rollout', ...parts), update };
}

/**
 * The go or no-go at a hold point (`POST /api/v1/rollouts/{name}/decide`): the decision, and
 * the signer's electronic signature (21 CFR Part 11), bound by the server to the rollout, the
 * wave and the decision. Go starts the next wave after the approval gate; no-go cancels the
 * rollout. A refusal (a wrong password, a signer without the permission) shows the server's
 * words in the card's `feedback`, with nothing recorded.
 */
function decisionForm(r, { me, can, terms, run, feedback, path }) {
  const next = r.wave + 1;
  const choice = (value, label) => {
    const input = h('input', { type: 'radio', name: 'decision', value, id: `decide-${value}` });
    return [input, h('div', { class: 'field-check' }, input, h('label', { for: input.id }, label))];
  };
  const [go, goRow] = choice('go', `Go: start wave ${next} of ${r.waves.length} (the approval gate is checked again)`);
  const [noGo, noGoRow] = choice('no_go', 'No-go: cancel the rollout; devices already offered the release are asked to cancel');
  const signature = signatureFields({
    prefix: 'decide',
    me,
    can,
    terms,
    meaning: 'approval',
    hint: `Your signature is bound to rollout ${r.name}, wave ${r.wave} and your decision. Your login and password identify you; the record will show:`,
    refusal: 'Your roles do not include signing (record.sign): the decision will be refused.',
  });
  const submit = h('button', { type: 'submit', id: 'decide-submit' }, 'Sign the decision');
  const form = h('form', { class: 'stacked', 'aria-labelledby': 'decide-title', novalidate: true },
    h('p', null, `Wave ${r.wave} is done and has a hold point: nothing more is offered until a person who may approve patches decides.`),
    h('fieldset', { class: 'checks decision' }, h('legend', null, 'Decision'), goRow, noGoRow),
    signature.node,
    submit);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const decision = go.checked ? 'go' : noGo.checked ? 'no_go' : null;
    if (decision === null) {
      replace(feedback, errorBox({ message: 'choose go or no-go' }));
      go.focus();
      return;
    }
    const message = decision === 'go'
      ? `Go signed for rollout ${r.name}: wave ${next} of ${r.waves.length} started.`
      : `No-go signed for rollout ${r.name}: it is canceled.`;
    run(submit, async () => {
      try {
        await api.post(path('/decide'), { go: decision === 'go', signature: signature.value() });
      } finally {
        signature.clear();
      }
    }, message);
  });
  return h('div', null, h('h3', { id: 'decide-title' }, 'Go or no-go'), form);
}
