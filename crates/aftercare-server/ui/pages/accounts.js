// Accounts, for administrators: the list, and a form to create one.

import * as api from '../api.js';
import { h, replace, table, field, badge, errorBox } from '../dom.js';
import { timestamp } from '../format.js';

export const nav = { label: 'Accounts', route: '/accounts', permission: 'account.manage' };

export const routes = [{ pattern: /^\/accounts$/, permission: 'account.manage', render }];

const ROLES = [
  ['administrator', 'Administrator', 'everything, including accounts'],
  ['security-analyst', 'Security analyst', 'imports SBOMs, triages findings, assesses risk'],
  ['reviewer', 'Reviewer (RA/QA)', 'signs determinations, waives clocks, changes the policy, reads the audit trail'],
  ['release-engineer', 'Release engineer', 'imports releases and their SBOMs'],
  ['viewer', 'Viewer', 'reads everything internal, changes nothing'],
  ['customer', 'Customer', 'only the advisories and devices of their organisation'],
];

async function render({ view, heading, announce }) {
  heading('Accounts');
  const list = h('div');
  const feedback = h('div', { 'aria-live': 'polite' });
  view.append(
    h('section', { class: 'card', 'aria-labelledby': 'accounts-list' }, h('h2', { id: 'accounts-list' }, 'Accounts'), list),
    h('section', { class: 'card', 'aria-labelledby': 'accounts-new' },
      h('h2', { id: 'accounts-new' }, 'New account'), feedback, createForm(feedback, reload, announce)),
  );
  async function reload() {
    list.setAttribute('aria-busy', 'true');
    try {
      replace(list, accountTable(await api.get('/accounts'), feedback, reload));
    } catch (error) {
      replace(list, errorBox(error));
    } finally {
      list.removeAttribute('aria-busy');
    }
  }
  await reload();
}

function accountTable(accounts, feedback, reload) {
  return table('Accounts', ['Login', 'Printed name', 'Roles', 'Organisation', 'Status', 'Failed logins', 'Created', ''],
    accounts.map((a) => {
      const locked = a.locked_until && new Date(a.locked_until) > new Date();
      const status = [
        a.disabled ? badge('bad', 'disabled') : badge('ok', 'active'),
        a.local_admin ? [' ', badge('neutral', 'local administrator')] : null,
        locked ? [' ', badge('warn', 'locked until '), timestamp(a.locked_until)] : null,
      ];
      const toggle = a.local_admin ? null : h('button', {
        type: 'button',
        class: 'button-quiet',
        'aria-label': `${a.disabled ? 'Enable' : 'Disable'} ${a.login}`,
        async onclick(event) {
          event.currentTarget.disabled = true;
          try {
            await api.call('PATCH', `/accounts/${encodeURIComponent(a.login)}`, { body: { disabled: !a.disabled } });
            replace(feedback, h('p', { class: 'alert alert-ok', role: 'status' },
              `${a.login} is ${a.disabled ? 'enabled' : 'disabled'}.`));
            await reload();
          } catch (error) {
            replace(feedback, errorBox(error));
          }
        },
      }, a.disabled ? 'Enable' : 'Disable');
      return [
        h('code', null, a.login), a.display_name, a.roles.join(', '), a.organisation ?? '—', status,
        h('span', { class: 'num' }, String(a.failed_logins)), timestamp(a.created_at), toggle,
      ];
    }), { hideCaption: true });
}

function createForm(feedback, reload, announce) {
  const login = h('input', { name: 'login', required: true, autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false' });
  const displayName = h('input', { name: 'display_name', required: true, autocomplete: 'off' });
  const password = h('input', { name: 'password', type: 'password', required: true, minlength: '10', autocomplete: 'new-password' });
  const organisation = h('input', { name: 'organisation', autocomplete: 'off' });
  const roles = h('fieldset', { class: 'roles' },
    h('legend', null, 'Roles'),
    ROLES.map(([value, label, hint]) => {
      const id = `role-${value}`;
      return h('div', { class: 'field-check' },
        h('input', { type: 'checkbox', name: 'roles', value, id, 'aria-describedby': `${id}-hint` }),
        h('label', { for: id }, label),
        h('span', { class: 'hint', id: `${id}-hint` }, ` — ${hint}`));
    }));
  const submit = h('button', { type: 'submit' }, 'Create account');
  const form = h('form', { class: 'stacked', 'aria-labelledby': 'accounts-new' },
    field('Login', login),
    field('Printed name', displayName, 'Shown in electronic signatures (21 CFR 11.50).'),
    field('Initial password', password, 'At least 10 characters; give it to the person through a separate channel.'),
    roles,
    field('Organisation', organisation, 'Required for customer accounts: the hospital or HDO whose devices they see.'),
    submit);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const chosen = [...form.querySelectorAll('input[name="roles"]:checked')].map((c) => c.value);
    if (chosen.length === 0) {
      replace(feedback, errorBox({ message: 'choose at least one role' }));
      form.querySelector('input[name="roles"]')?.focus();
      return;
    }
    submit.disabled = true;
    try {
      const created = await api.post('/accounts', {
        login: login.value.trim(),
        display_name: displayName.value.trim(),
        password: password.value,
        roles: chosen,
        organisation: organisation.value.trim() || null,
      });
      form.reset();
      replace(feedback, h('p', { class: 'alert alert-ok', role: 'status' },
        `Account ${created.login} created with the roles ${created.roles.join(', ')}.`));
      announce(`Account ${created.login} created.`);
      await reload();
    } catch (error) {
      password.value = '';
      replace(feedback, errorBox(error));
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}
