// docs/openapi.yaml against the real server: every route and every status the document lists is
// provoked here with fetch and answered with that status, and every route the server has is in the
// document. A status is provoked the same way on every route (401: no token; 403: a customer on a
// staff route or on another customer's conversation; 413: a body past --rest-max-body; 415: a
// text/plain body; 503: PostgreSQL stopped) or by a recipe of the route (200, 201, 400, 404, 409,
// 429, 501).
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe } from 'node:test';
import { parse } from 'yaml';
import { isReference, serverKind, startServer, stopServer, test } from './harness.mjs';
import { ringcastToken } from './jwt.mjs';
import { startPostgres, stopSuite } from './postgres.mjs';
import { restClient, waitReady } from './rest_client.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const SECRET = 'openapi-test-secret';
const MAX_BODY = 4096;

// What the server routes (broker/rest/rest_api.cc); the document must list each.
const SERVER_ROUTES = [
  'GET /conversations', 'POST /conversations', 'GET /conversations/{id}', 'PATCH /conversations/{id}',
  'GET /conversations/{id}/messages', 'POST /conversations/{id}/messages', 'POST /conversations/{id}/read',
  'GET /unread', 'POST /widget/sessions', 'POST /realtime/subscribe', 'GET /knowledge', 'POST /knowledge',
  'PUT /knowledge/{id}', 'DELETE /knowledge/{id}', 'GET /metrics/summary',
];
const STAFF_ONLY = new Set(['POST /conversations', 'PATCH /conversations/{id}', 'GET /knowledge', 'POST /knowledge',
  'PUT /knowledge/{id}', 'DELETE /knowledge/{id}', 'GET /metrics/summary']);

describe(`docs/openapi.yaml against ${serverKind}`, { skip: isReference && 'the inbox profile is ringcast-only' }, () => {
  const doc = parse(readFileSync(path.resolve(here, '../../docs/openapi.yaml'), 'utf8'));
  const listed = []; // [route, status]
  for (const [p, item] of Object.entries(doc.paths))
    for (const [method, op] of Object.entries(item))
      if (['get', 'post', 'put', 'patch', 'delete'].includes(method))
        for (const status of Object.keys(op.responses)) listed.push([`${method.toUpperCase()} ${p}`, Number(status)]);

  let db;
  let server;
  let call;
  let mainCall;
  const staff = ringcastToken(SECRET, 'agent-oa', 'staff');
  const owner = ringcastToken(SECRET, 'oa-owner', 'customer');
  const intruder = ringcastToken(SECRET, 'oa-intruder', 'customer');
  let conversation;
  let entry;
  before(async () => {
    db = await startPostgres();
    server = await startServer('inbox', ['--ai-backend', 'off', '--jwt-secret', SECRET, '--database-url', db.url,
      '--rest-max-body', String(MAX_BODY), '--reads-per-minute', '2', '--widget-sessions-per-minute', '1']);
    await waitReady(server);
    mainCall = restClient(server);
    call = mainCall;
    conversation = (await call('POST', '/conversations', { token: staff, body: { channel: 'website', customer: { externalId: 'oa-owner' }, content: 'first', clientId: 'oa-1' } })).json.conversation.id;
    entry = (await call('POST', '/knowledge', { token: staff, body: { question: 'Opening hours?', answer: '9 to 5.' } })).json.entry.id;
  });
  after(() => stopSuite(db, server));

  const fill = (route, id) => route.replace('{id}', id ?? (route.startsWith('/knowledge') ? String(entry) : conversation));
  const split = (key) => {
    const [method, route] = key.split(' ');
    return { method, route };
  };
  // A valid request of each route: [token, path, body].
  const valid = () => ({
    'GET /conversations': [staff, '/conversations'],
    'POST /conversations': [staff, '/conversations', { channel: 'sms', customer: { phone: '+15550400' } }],
    'GET /conversations/{id}': [owner, fill('/conversations/{id}')],
    'PATCH /conversations/{id}': [staff, fill('/conversations/{id}'), { priority: 2 }],
    'GET /conversations/{id}/messages': [owner, fill('/conversations/{id}/messages')],
    'POST /conversations/{id}/messages': [owner, fill('/conversations/{id}/messages'), { content: 'hi', clientId: randomUUID() }],
    'POST /conversations/{id}/read': [owner, fill('/conversations/{id}/read'), { seq: 1 }],
    'GET /unread': [owner, '/unread'],
    'POST /widget/sessions': [undefined, '/widget/sessions', {}],
    'POST /realtime/subscribe': [owner, '/realtime/subscribe', { conversationId: conversation }],
    'GET /knowledge': [staff, '/knowledge'],
    'POST /knowledge': [staff, '/knowledge', { question: `Q ${randomUUID()}`, answer: 'A.' }],
    'PUT /knowledge/{id}': [staff, fill('/knowledge/{id}'), { question: 'Opening hours?', answer: '9 to 6.' }],
    'DELETE /knowledge/{id}': [staff, fill('/knowledge/{id}')],
    'GET /metrics/summary': [staff, '/metrics/summary'],
  });
  // 400 for each route.
  const invalid = {
    'GET /conversations': [staff, '/conversations?limit=0'],
    'GET /conversations/{id}': [staff, '/conversations/not-a-uuid'],
    'GET /conversations/{id}/messages': [staff, fill('/conversations/{id}/messages?limit=1000')],
    'DELETE /knowledge/{id}': [staff, '/knowledge/abc'],
    'GET /metrics/summary': [staff, '/metrics/summary?windowMinutes=0'],
  };

  // A request from another loopback address (widget sessions are limited per address), answered
  // as {status, headers, json, text}.
  function callFrom(localAddress, method, route, { body, raw, headers = {} } = {}) {
    const payload = body !== undefined ? JSON.stringify(body) : raw;
    const h = { ...headers };
    if (body !== undefined) h['Content-Type'] ??= 'application/json';
    return new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: server.port, localAddress, method, path: `/api/v1${route}`, headers: h }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode, headers: new Headers(res.headers), json: JSON.parse(text), text }));
      });
      req.on('error', reject);
      req.end(payload);
    });
  }
  let nextAddress = 2;

  async function provoke(key, status) {
    const { method, route } = split(key);
    // Each widget check from its own address, so that one does not use up another's rate.
    const address = `127.0.0.${nextAddress++}`;
    const call = key === 'POST /widget/sessions' && status !== 501 ? (m, p, o) => callFrom(address, m, p, o) : mainCall;
    const [token, p, body] = valid()[key];
    const needsBody = body !== undefined;
    switch (status) {
      case 200:
      case 201: {
        if (key === 'POST /conversations/{id}/messages' && status === 200) {
          // A retry of a stored send.
          const first = await call(method, p, { token, body });
          assert.equal(first.status, 201);
          return call(method, p, { token, body });
        }
        if (key === 'DELETE /knowledge/{id}') {
          const made = await call('POST', '/knowledge', { token: staff, body: { question: `Gone ${randomUUID()}`, answer: 'x' } });
          return call(method, `/knowledge/${made.json.entry.id}`, { token });
        }
        return call(method, p, { token, body });
      }
      case 400: {
        if (invalid[key]) return call(method, invalid[key][1], { token: invalid[key][0] });
        return call(method, p, { token, raw: '{"not json', headers: { 'Content-Type': 'application/json' } });
      }
      case 401:
        return call(method, p, { body });
      case 403:
        if (STAFF_ONLY.has(key)) return call(method, p, { token: owner, body });
        return call(method, p, { token: intruder, body });
      case 404: {
        const none = body?.conversationId ? { ...body, conversationId: randomUUID() } : body;
        return call(method, fill(route, route.startsWith('/knowledge') ? '999999' : randomUUID()), { token: staff, body: none });
      }
      case 409: {
        if (key === 'PUT /knowledge/{id}') {
          // Renamed to the question of another entry.
          const made = await call('POST', '/knowledge', { token: staff, body: { question: `Taken ${randomUUID()}`, answer: 'x' } });
          return call(method, p, { token, body: { question: made.json.entry.question, answer: 'dup' } });
        }
        if (route.startsWith('/knowledge')) return call(method, p, { token, body: { question: 'Opening hours?', answer: 'dup' } });
        // The owner's clientId "oa-used" stored in one conversation, then sent to another.
        const other = (await call('POST', '/conversations', { token: staff, body: { channel: 'website', customer: { externalId: 'oa-owner' } } })).json.conversation.id;
        await call(method, p, { token, body: { content: 'x', clientId: 'oa-used' } });
        return call(method, fill(route, other), { token, body: { content: 'x', clientId: 'oa-used' } });
      }
      case 413:
        return call(method, p, { token, body: { ...(body ?? {}), pad: 'x'.repeat(MAX_BODY) } });
      case 415:
        return call(method, p, { token, raw: 'seq=1', headers: { 'Content-Type': 'text/plain' } });
      case 429: {
        // --reads-per-minute 2 and --widget-sessions-per-minute 1, counted per shard (2 shards).
        const send = () => call(method, p, { token, body });
        let r;
        for (let i = 0; i < 20; i++) {
          r = await send();
          if (r.status === 429) break;
        }
        return r;
      }
      case 501: {
        const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
        const dir = mkdtempSync(path.join(os.tmpdir(), 'ringcast-openapi-'));
        writeFileSync(path.join(dir, 'key.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
        const other = await startServer('inbox', ['--ai-backend', 'off', '--jwt-public-key', path.join(dir, 'key.pem'), '--database-url', db.url]);
        try {
          return await restClient(other)(method, p, { body });
        } finally {
          await stopServer(other);
          rmSync(dir, { recursive: true, force: true });
        }
      }
      case 503:
        // Staff read: the owner used up --reads-per-minute above.
        return call(method, p, { token: key === 'POST /conversations/{id}/read' ? staff : token, body: needsBody ? body : undefined });
      default:
        throw new Error(`no way to provoke ${status} on ${key}`);
    }
  }

  test('every route the server has is in the document', () => {
    const documented = new Set(listed.map(([key]) => key));
    for (const key of SERVER_ROUTES) assert.ok(documented.has(key), `${key} is not in docs/openapi.yaml`);
    for (const key of documented) assert.ok(SERVER_ROUTES.includes(key), `${key} is documented but not routed`);
    assert.equal(doc.openapi, '3.1.0');
  });

  test('every route answers every status the document lists', async () => {
    const checked = [];
    for (const [key, status] of listed.filter(([, s]) => s !== 503)) {
      const r = await provoke(key, status);
      assert.equal(r.status, status, `${key} -> ${status}: got ${r.status} ${r.text}`);
      if (status >= 400) {
        assert.equal(typeof r.json?.error?.code, 'string', `${key} ${status}: ${r.text}`);
        assert.equal(typeof r.json.error.message, 'string');
      }
      if (status === 429 || status === 503) assert.ok(Number(r.headers.get('retry-after')) >= 1);
      checked.push(`${key} ${status}`);
    }
    // 503 last: the database goes away.
    db.stop();
    try {
      for (const [key, status] of listed.filter(([, s]) => s === 503)) {
        const r = await provoke(key, status);
        assert.equal(r.status, 503, `${key} -> 503: got ${r.status} ${r.text}`);
        assert.ok(Number(r.headers.get('retry-after')) >= 1, key);
        checked.push(`${key} ${status}`);
      }
    } finally {
      db.start();
    }
    assert.equal(checked.length, listed.length);
  });
});
