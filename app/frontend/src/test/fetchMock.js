import { vi } from 'vitest';

// A fetch stand-in that answers by "METHOD /path" and records every call.
export function mockFetch(routes) {
  const fn = vi.fn(async (url, options = {}) => {
    const key = `${options.method || 'GET'} ${url}`;
    const route = routes[key];
    if (route === undefined) throw new Error(`unexpected request ${key}`);
    const answer = typeof route === 'function' ? await route(options) : route;
    if (answer instanceof Error) throw answer;
    const { status = 200, body } = answer;
    return {
      ok: status >= 200 && status < 300,
      status,
      json: async () => {
        if (body === undefined) throw new SyntaxError('no body');
        return body;
      },
    };
  });
  vi.stubGlobal('fetch', fn);
  return fn;
}

export function sentBody(fn, key) {
  const call = fn.mock.calls.find(([url, options = {}]) => `${options.method || 'GET'} ${url}` === key);
  return call ? JSON.parse(call[1].body) : undefined;
}
