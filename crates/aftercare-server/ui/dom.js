// Building DOM nodes without HTML strings.
//
// Every page builds its nodes with `h()`: text goes in as text nodes, attributes through
// setAttribute, so data from the API is never parsed as HTML. No string is ever parsed as
// markup or run as code anywhere in this UI: tests/it/ui.rs scans every script for the sinks
// that would do it and fails if one appears, and the shell's Content-Security-Policy
// enforces Trusted Types where the browser supports them.

/** URL schemes a link may use: in-app routes, same-origin paths, and http(s). */
const SAFE_URL = /^(#|\/(?!\/)|https?:\/\/)/i;

/**
 * Creates an element.
 * @param {string} tag the element name
 * @param {object|null} props attributes; `class`, `text`, `on<event>` handlers, boolean
 *   attributes as true/false; null and undefined values are skipped
 * @param {...any} children nodes, strings, numbers, arrays of those; null/false are skipped
 */
export function h(tag, props, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (name === 'text') {
      element.textContent = String(value);
    } else if (name === 'href' || name === 'src' || name === 'action') {
      const url = String(value);
      if (!SAFE_URL.test(url)) throw new Error(`refusing the URL ${url} in ${name}`);
      element.setAttribute(name, url);
    } else if (value === true) {
      element.setAttribute(name, '');
    } else {
      element.setAttribute(name, String(value));
    }
  }
  append(element, children);
  return element;
}

/** Appends children (nodes, strings, numbers, nested arrays) to an element. */
export function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** Replaces an element's content. */
export function replace(element, ...children) {
  element.replaceChildren();
  return append(element, children);
}

/**
 * A table with a caption, column headers and rows; wrapped so it scrolls sideways on
 * narrow screens (and by keyboard: the wrapper is focusable).
 * @param {string} caption what the table lists
 * @param {string[]} columns header labels
 * @param {any[][]} rows cells: nodes or text
 * @param {object} [options] `empty`: text when there are no rows; `hideCaption`
 */
export function table(caption, columns, rows, options = {}) {
  if (rows.length === 0) {
    return h('p', { class: 'empty' }, options.empty ?? 'Nothing to show.');
  }
  const captionNode = h('caption', { class: options.hideCaption ? 'visually-hidden' : null }, caption);
  return h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': caption },
    h('table', null,
      captionNode,
      h('thead', null, h('tr', null, columns.map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', null, rows.map((cells) => h('tr', null, cells.map((cell) => h('td', null, cell))))),
    ),
  );
}

/** A description list from [term, value] pairs; pairs with null/undefined values are left out. */
export function facts(pairs) {
  return h('dl', { class: 'facts' },
    pairs
      .filter(([, value]) => value !== null && value !== undefined && value !== '')
      .map(([term, value]) => h('div', null, h('dt', null, term), h('dd', null, value))),
  );
}

/** An in-app link to a hash route. */
export function link(route, ...children) {
  return h('a', { href: `#${route}` }, ...children);
}

/** Builds a hash route from path segments (each encoded) and query parameters. */
export function route(segments, query = {}) {
  const path = '/' + segments.map((s) => encodeURIComponent(String(s))).join('/');
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== null && value !== undefined && value !== '' && value !== false) {
      params.set(key, String(value));
    }
  }
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}

/** A labelled form field: label, control, optional hint (tied by aria-describedby). */
export function field(label, control, hint) {
  const id = control.id || `f-${Math.random().toString(36).slice(2, 10)}`;
  control.id = id;
  const hintNode = hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null;
  if (hintNode) control.setAttribute('aria-describedby', hintNode.id);
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hintNode);
}

/** A status badge (`ok`, `bad`, `warn`, `neutral`) with text, never colour alone. */
export function badge(kind, text) {
  return h('span', { class: `badge badge-${kind}` }, text);
}

/** An error box for an API or network error; announced to screen readers. */
export function errorBox(error) {
  const code = error && error.code ? ` (${error.code})` : '';
  const message = error && error.message ? error.message : String(error);
  return h('div', { class: 'alert alert-error', role: 'alert' },
    h('strong', null, 'Error: '), message, code);
}

/** A preformatted block of text (JSON, TOML) that keeps its whitespace. */
export function pre(text, label) {
  return h('pre', { class: 'code', tabindex: '0', 'aria-label': label ?? null }, text);
}
