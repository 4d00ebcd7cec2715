// The login form: POST /api/v1/auth/login sets the HttpOnly session cookie.

import * as api from '../api.js';
import { h, replace, field } from '../dom.js';
import { duration, utc } from '../format.js';

/**
 * Renders the login form.
 * @param {HTMLElement} view where to render
 * @param {{message?: string, onLoggedIn: (me: object) => void}} options
 */
export function render(view, { message, onLoggedIn }) {
  const loginInput = h('input', {
    name: 'login', type: 'text', autocomplete: 'username', required: true,
    autocapitalize: 'none', spellcheck: 'false',
  });
  const passwordInput = h('input', {
    name: 'password', type: 'password', autocomplete: 'current-password', required: true,
  });
  const submit = h('button', { type: 'submit' }, 'Log in');
  const feedback = h('div', { class: 'feedback', 'aria-live': 'assertive' });
  const form = h('form', { class: 'login-form', 'aria-labelledby': 'login-title' },
    field('Login', loginInput),
    field('Password', passwordInput),
    submit,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    submit.disabled = true;
    replace(feedback);
    try {
      const me = await api.call('POST', '/auth/login', {
        body: { login: loginInput.value.trim(), password: passwordInput.value },
        quiet401: true,
      });
      passwordInput.value = '';
      onLoggedIn(me);
    } catch (error) {
      passwordInput.value = '';
      replace(feedback, failure(error));
      passwordInput.focus();
    } finally {
      submit.disabled = false;
    }
  });

  document.title = 'Log in — aftercare';
  replace(view,
    h('section', { class: 'login' },
      h('h1', { id: 'login-title', tabindex: '-1' }, 'Log in to aftercare'),
      message ? h('p', { class: 'alert alert-info', role: 'status' }, message) : null,
      feedback,
      form,
      h('p', { class: 'hint' },
        'Too many failed attempts lock the account for a while; administrators see these attempts as security alerts.'),
    ),
  );
  loginInput.focus();
}

/** The message for a failed login: lock-outs name when to try again. */
function failure(error) {
  const box = h('div', { class: 'alert alert-error', role: 'alert' });
  if (error.status === 429 || error.code === 'locked_out') {
    box.append(h('strong', null, 'Account locked. '), error.message);
    if (error.retryAfter !== null && error.retryAfter !== undefined) {
      const until = new Date(Date.now() + error.retryAfter * 1000);
      box.append(h('br'), `Try again in ${duration(error.retryAfter)} (after ${utc(until)}).`);
    }
  } else if (error.status === 401) {
    box.append(h('strong', null, 'Login failed. '), error.message);
  } else {
    box.append(h('strong', null, 'Error: '), error.message, error.code ? ` (${error.code})` : '');
  }
  return box;
}
