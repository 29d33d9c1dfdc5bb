// The REST API client of the end-to-end tests: the stock fetch against /api/v1.
import http from 'node:http';

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

// Resolves once every shard has reached its database: each shard connects after the server
// listens, and answers 503 until then. /readyz on fresh connections lands on random shards
// (SO_REUSEPORT), so 20 ready answers in a row cover every shard but by a tiny chance.
export async function waitReady(server, ms = 20_000) {
  const deadline = Date.now() + ms;
  let inARow = 0;
  while (inARow < 20) {
    if (Date.now() > deadline) throw new Error('the server did not become ready');
    const status = await new Promise((resolve) => {
      http.get({ host: '127.0.0.1', port: server.port, path: '/readyz', agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode);
      }).on('error', () => resolve(0));
    });
    inARow = status === 200 ? inARow + 1 : 0;
    if (status !== 200) await new Promise((r) => setTimeout(r, 20));
  }
}
