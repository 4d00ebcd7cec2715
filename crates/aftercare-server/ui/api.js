// The REST API client: JSON in and out, errors as ApiError with the server's code and message.
//
// The session is an HttpOnly, SameSite=Strict cookie set by POST /api/v1/auth/login; this
// module never sees it. A 401 on any call other than login means the session ended, and the
// app shows the login form (see `onUnauthorized`).

/** An error answered by the API (`{"error":{"code","message"}}`) or met on the way. */
export class ApiError extends Error {
  constructor(status, code, message, retryAfter) {
    super(message);
    this.name = 'ApiError';
    /** The HTTP status (0 when the server could not be reached). */
    this.status = status;
    /** The stable machine code (`not_found`, `locked_out`, …). */
    this.code = code;
    /** Seconds to wait, from Retry-After, when the server sent one. */
    this.retryAfter = retryAfter;
  }
}

let unauthorized = () => {};

/** Registers what to do when a call answers 401 (the session expired or was closed). */
export function onUnauthorized(handler) {
  unauthorized = handler;
}

/** Builds an `/api/v1` URL from a path and query parameters (empty values are left out). */
export function url(path, query = {}) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== null && value !== undefined && value !== '' && value !== false) {
      params.set(key, String(value));
    }
  }
  const search = params.toString();
  return `/api/v1${path}${search ? `?${search}` : ''}`;
}

async function errorOf(response) {
  let code = `http_${response.status}`;
  let message = `the server answered ${response.status} ${response.statusText}`;
  try {
    const body = await response.json();
    if (body && body.error) {
      code = String(body.error.code ?? code);
      message = String(body.error.message ?? message);
    }
  } catch {
    // Not JSON (a proxy's error page): keep the generic message.
  }
  const header = response.headers.get('Retry-After');
  const retryAfter = header !== null && /^\d+$/.test(header) ? Number(header) : null;
  return new ApiError(response.status, code, message, retryAfter);
}

/**
 * Calls the API and returns the parsed JSON (or null for 204).
 * @param {string} method GET, POST, …
 * @param {string} path under /api/v1, e.g. `/products`
 * @param {object} [options] `query`: parameters; `body`: sent as JSON; `raw`: a Blob or File
 *   sent as it is (`application/octet-stream`); `quiet401`: do not treat 401 as the end of
 *   the session (login)
 */
export async function call(method, path, options = {}) {
  const init = {
    method,
    credentials: 'same-origin',
    headers: { Accept: 'application/json' },
  };
  if (options.raw !== undefined) {
    init.headers['Content-Type'] = 'application/octet-stream';
    init.body = options.raw;
  } else if (options.body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(options.body);
  }
  let response;
  try {
    response = await fetch(url(path, options.query), init);
  } catch {
    throw new ApiError(0, 'network', 'the server could not be reached; check the connection and try again', null);
  }
  if (!response.ok) {
    const error = await errorOf(response);
    if (response.status === 401 && !options.quiet401) unauthorized(error);
    throw error;
  }
  if (response.status === 204) return null;
  return response.json();
}

/** GET with query parameters. */
export const get = (path, query) => call('GET', path, { query });
/** POST a JSON body. */
export const post = (path, body, options = {}) => call('POST', path, { ...options, body });
/** POST a file's bytes as they are, with query parameters. */
export const upload = (path, query, raw) => call('POST', path, { query, raw });
