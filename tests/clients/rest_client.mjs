// The REST API client of the end-to-end tests: the stock fetch against /api/v1.

// A small REST client: call(method, path, {token, body, headers, raw}) -> {status, headers, json}.
export function restClient(server) {
  return async function call(method, route, { token, body, headers = {}, raw } = {}) {
    const h = { ...headers };
    if (token) h.Authorization = `Bearer ${token}`;
    let payload = raw;
    if (body !== undefined) {
      payload = JSON.stringify(body);
      h['Content-Type'] ??= 'application/json';
    }
    const res = await fetch(`${server.url}/api/v1${route}`, { method, headers: h, body: payload });
    const text = await res.text();
    let json = null;
    try {
      json = JSON.parse(text);
    } catch {}
    return { status: res.status, headers: res.headers, json, text };
  };
}
