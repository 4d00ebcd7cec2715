// The application shell: who is logged in, the navigation, and hash routing to the pages.
//
// Each area of the product is one module under pages/ that exports `routes` (a pattern, the
// permission it needs, a render function) and optionally `nav` (a link in the main
// navigation). Adding an area is one module plus one line in PAGES below (and one line in
// the server's asset list, crates/aftercare-server/src/ui.rs).

import * as api from './api.js';
import { h, replace, errorBox, link } from './dom.js';
import * as login from './pages/login.js';
import * as dashboard from './pages/dashboard.js';
import * as products from './pages/products.js';
import * as release from './pages/release.js';
import * as findings from './pages/findings.js';
import * as clocks from './pages/clocks.js';
import * as plans from './pages/plans.js';
import * as patch from './pages/patch.js';
import * as devices from './pages/devices.js';
import * as rollouts from './pages/rollouts.js';
import * as policy from './pages/policy.js';
import * as audit from './pages/audit.js';
import * as accounts from './pages/accounts.js';

const PAGES = [dashboard, products, release, findings, clocks, plans, patch, devices, rollouts, policy, audit, accounts];

const ROUTES = PAGES.flatMap((page) => page.routes ?? []);
const NAV = PAGES.map((page) => page.nav).filter(Boolean);

const main = document.getElementById('main');
const navList = document.getElementById('nav-list');
const who = document.getElementById('who');
const statusRegion = document.getElementById('status');

/** The caller (GET /api/v1/auth/me), or null before login. */
let me = null;

function can(permission) {
  return !permission || (me !== null && me.permissions.includes(permission));
}

/** Announces a short message to screen readers (and shows it briefly). */
function announce(text) {
  statusRegion.textContent = text;
}

/** Whether the hash is a route (`#/…`) rather than an in-page anchor such as `#main`. */
function isRoute(hash) {
  return hash === '' || hash === '#' || hash.startsWith('#/');
}

/** The current hash route: path and query parameters. */
function current() {
  const raw = isRoute(location.hash) ? location.hash.replace(/^#/, '') : '/';
  const [path, search = ''] = raw.split('?', 2);
  return { path: path || '/', query: new URLSearchParams(search) };
}

function navigate(route) {
  if (location.hash === `#${route}`) {
    render();
  } else {
    location.hash = route;
  }
}

function renderHeader() {
  const { path } = current();
  replace(navList,
    me === null ? [] : NAV.filter((item) => can(item.permission)).map((item) => {
      const active = item.route === '/' ? path === '/' : path.startsWith(item.route) || (item.also ?? []).some((p) => path.startsWith(p));
      return h('li', null, h('a', { href: `#${item.route}`, 'aria-current': active ? 'page' : null }, item.label));
    }),
  );
  if (me === null) {
    replace(who);
    return;
  }
  replace(who,
    h('span', { class: 'who-name' }, me.display_name, ' ', h('span', { class: 'muted' }, `(${me.login})`)),
    h('span', { class: 'who-roles muted' }, me.roles.join(', ')),
    h('button', { type: 'button', class: 'button-quiet', onclick: logout }, 'Log out'),
  );
}

async function logout() {
  try {
    await api.post('/auth/logout', undefined, { quiet401: true });
  } catch (error) {
    // A session that already ended is logged out all the same.
    if (error.status !== 401) {
      replace(main, errorBox(error));
      return;
    }
  }
  me = null;
  showLogin('You are logged out.');
}

function showLogin(message) {
  me = null;
  renderHeader();
  document.title = 'Log in — aftercare';
  const view = h('div', { class: 'view' });
  replace(main, view);
  login.render(view, {
    message,
    onLoggedIn(caller) {
      me = caller;
      announce(`Logged in as ${caller.display_name}.`);
      if (current().path === '/login') navigate('/');
      else render();
    },
  });
}

/** Renders the page of the current hash route into a fresh view. */
async function render() {
  if (me === null) {
    showLogin();
    return;
  }
  renderHeader();
  const { path, query } = current();
  const focusedId = main.contains(document.activeElement) ? document.activeElement.id : '';
  const loading = h('p', { class: 'muted' }, 'Loading…');
  const view = h('div', { class: 'view', 'aria-busy': 'true' }, loading);
  replace(main, view);
  const context = {
    view,
    query,
    me,
    can,
    navigate,
    announce,
    /** Adds the page's heading and sets the document title. */
    heading(text, ...extra) {
      loading.remove();
      document.title = `${text} — aftercare`;
      const heading = h('h1', { tabindex: '-1' }, text);
      view.append(h('header', { class: 'page-header' }, heading, ...extra));
      return heading;
    },
  };
  const found = ROUTES.map((r) => ({ r, match: r.pattern.exec(path) })).find((x) => x.match);
  try {
    if (!found) {
      context.heading('Page not found');
      view.append(h('p', null, 'There is no page at this address. ', link('/', 'Go to the dashboard'), '.'));
    } else if (!can(found.r.permission)) {
      context.heading('Not permitted');
      view.append(h('p', null, `Your roles do not grant ${found.r.permission}, which this page needs.`));
    } else {
      const params = found.match.slice(1).map((p) => decodeURIComponent(p));
      await found.r.render({ ...context, params });
    }
  } catch (error) {
    view.append(errorBox(error));
  } finally {
    loading.remove();
    view.removeAttribute('aria-busy');
  }
  if (!view.isConnected) return;
  const again = focusedId ? document.getElementById(focusedId) : null;
  (again && view.contains(again) ? again : view.querySelector('h1'))?.focus();
}

api.onUnauthorized(() => {
  if (me !== null) showLogin('Your session ended; log in again.');
});

window.addEventListener('hashchange', () => {
  // The skip link (#main) is an anchor, not a route.
  if (isRoute(location.hash)) render();
});

async function start() {
  try {
    me = await api.call('GET', '/auth/me', { quiet401: true });
  } catch (error) {
    if (error.status !== 401) {
      replace(main, errorBox(error));
      return;
    }
    me = null;
  }
  render();
}

start();
