// The JSON API client. Every call goes to the relative path /api/..., so the
// page works behind any host name and port that nginx answers on.

export const TOKEN_KEY = 'craftctl.token';

// nginx answers 429 itself (its page, not JSON) when a client goes over the
// sign-in budget.
const STATUS_TEXT = { 429: 'Too many attempts. Wait a moment and try again.' };

export class ApiError extends Error {
  constructor(status, body) {
    const detail = (body && body.detail) || STATUS_TEXT[status] || `request failed (${status})`;
    super(detail);
    this.name = 'ApiError';
    this.status = status;
    this.detail = detail;
    this.fieldErrors = (body && body.errors) || {};
  }
}

async function request(method, path, { body, token } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(`/api${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  if (response.status !== 204) {
    try {
      data = await response.json();
    } catch {
      data = null;
    }
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export const api = {
  register: (email, username, password) =>
    request('POST', '/auth/register', { body: { email, username, password } }),
  login: (email, password) => request('POST', '/auth/login', { body: { email, password } }),
  me: (token) => request('GET', '/auth/me', { token }),
  logout: (token) => request('POST', '/auth/logout', { token }),
  // Health answers 503 with a body when the database is down: not an error here.
  health: async () => {
    const response = await fetch('/api/health', { headers: { Accept: 'application/json' } });
    let data = null;
    try {
      data = await response.json();
    } catch {
      data = null;
    }
    return { ok: response.ok, status: response.status, body: data };
  },
};

export const session = {
  get: () => window.localStorage.getItem(TOKEN_KEY),
  set: (token) => window.localStorage.setItem(TOKEN_KEY, token),
  clear: () => window.localStorage.removeItem(TOKEN_KEY),
};
