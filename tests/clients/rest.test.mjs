// The REST API (/api/v1) end to end with the stock fetch: the ringcast binary with 2 shards, a real
// PostgreSQL, and socket.io-client where a REST call must reach live sockets. Every route, the
// authorization rules (no token, bad token, customer on staff routes, another customer's
// conversation), idempotent sends, the metrics summary against figures computed here, the
// knowledge base reaching the running AI, and the 400/413/415/429/503 paths.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe } from 'node:test';
import { connect, isReference, serverKind, sleep, startServer, stopServer, test, until, collect } from './harness.mjs';
import { nowSeconds, ringcastToken, signJwt } from './jwt.mjs';
import { restClient, waitReady } from './rest_client.mjs';
import { startPostgres, stopSuite } from './postgres.mjs';

const SECRET = 'rest-test-secret';
const WS = { transports: ['websocket'] };
const skip = isReference && 'the inbox profile is ringcast-only';

const staffToken = (sub = 'agent-1', name) => ringcastToken(SECRET, sub, 'staff', name ? ['--name', name] : []);
const customerToken = (sub) => ringcastToken(SECRET, sub, 'customer');

describe(`REST API against ${serverKind}`, { skip }, () => {
  let db;
  let server;
  let call;
  before(async () => {
    db = await startPostgres();
    server = await startServer('inbox', [
      '--ai-backend', 'off',
      '--jwt-secret', SECRET,
      '--database-url', db.url,
      '--widget-sessions-per-minute', '3',
      '--rest-max-body', '4096',
      '--ping-interval', '5000', '--ping-timeout', '5000',
    ]);
    await waitReady(server);
    call = restClient(server);
  });
  after(() => stopSuite(db, server));

  test('requests without a good token get 401 with a code, customers on staff routes 403', async () => {
    const none = await call('GET', '/conversations');
    assert.equal(none.status, 401);
    assert.equal(none.json.error.code, 'missing_token');
    assert.equal(none.headers.get('www-authenticate'), 'Bearer');
    const bad = await call('GET', '/conversations', { token: signJwt({ sub: 'x', role: 'staff' }, { secret: 'wrong' }) });
    assert.equal(bad.status, 401);
    assert.equal(bad.json.error.code, 'invalid_token');
    const expired = await call('GET', '/unread', { token: signJwt({ sub: 'x', role: 'staff', exp: nowSeconds() - 3600 }, { secret: SECRET }) });
    assert.equal(expired.status, 401);
    assert.equal(expired.json.error.code, 'token_expired');
    const alice = customerToken('alice');
    for (const [method, route, body] of [
      ['POST', '/conversations', { channel: 'website', customer: { externalId: 'alice' } }],
      ['PATCH', '/conversations/00000000-0000-0000-0000-000000000000', { status: 'closed' }],
      ['GET', '/knowledge'],
      ['POST', '/knowledge', { question: 'q', answer: 'a' }],
      ['GET', '/metrics/summary'],
    ]) {
      const r = await call(method, route, { token: alice, body });
      assert.equal(r.status, 403, `${method} ${route}`);
      assert.equal(r.json.error.code, 'forbidden');
    }
  });

  test('POST /conversations finds or creates the customer per channel, as inbound messages do', async () => {
    const staff = await connect(server.url, { ...WS, auth: { token: staffToken('agent-9') } });
    const news = collect(staff, 'conversation:new');
    const token = staffToken();
    const email1 = await call('POST', '/conversations', { token, body: { channel: 'email', customer: { email: 'Dana@Example.com', name: 'Dana' }, subject: 'Invoice' } });
    assert.equal(email1.status, 201, email1.text);
    assert.equal(email1.json.conversation.customerId, 'email:dana@example.com');
    assert.equal(email1.json.conversation.channel, 'email');
    assert.equal(email1.headers.get('location'), `/api/v1/conversations/${email1.json.conversation.id}`);
    const email2 = await call('POST', '/conversations', { token, body: { channel: 'email', customer: { email: 'dana@example.COM' }, content: 'Hello Dana', clientId: 'e-1' } });
    assert.equal(email2.status, 201);
    assert.equal(email2.json.conversation.customerId, 'email:dana@example.com');
    assert.equal(email2.json.message.seq, 1);
    assert.equal(email2.json.message.senderType, 'staff');
    assert.equal(email2.json.message.content, 'Hello Dana');
    const rows = await db.query("SELECT count(*)::int AS n FROM customers WHERE channel = 'email' AND external_id = 'dana@example.com'");
    assert.equal(rows[0].n, 1, 'one customer for both');
    const sms = await call('POST', '/conversations', { token, body: { channel: 'sms', customer: { phone: '+15550100' } } });
    assert.equal(sms.json.conversation.customerId, 'sms:+15550100');
    const wa = await call('POST', '/conversations', { token, body: { channel: 'whatsapp', customer: { phone: '+15550100' } } });
    assert.equal(wa.json.conversation.customerId, 'whatsapp:+15550100');
    const ig = await call('POST', '/conversations', { token, body: { channel: 'instagram', customer: { externalId: '1784' } } });
    assert.equal(ig.json.conversation.customerId, 'instagram:1784');
    const web = await call('POST', '/conversations', { token, body: { channel: 'website', customer: { externalId: 'erin' } } });
    assert.equal(web.json.conversation.customerId, 'erin');
    await until('staff seeing every new conversation', () => news.length === 6);
    for (const body of [
      { channel: 'sms', customer: { email: 'x@y.z' } },
      { channel: 'sms', customer: { phone: '5550100' } },
      { channel: 'email', customer: { email: 'nope' } },
      { channel: 'fax', customer: { externalId: 'x' } },
      { channel: 'website' },
      { channel: 'website', customer: { externalId: 42 } },
    ]) {
      const r = await call('POST', '/conversations', { token, body });
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.json.error.code, 'bad_request');
      assert.ok(r.json.error.message.length > 0);
    }
  });

  test('a retried POST /conversations with its first message (Idempotency-Key or clientId) opens no second conversation', async () => {
    const staff = await connect(server.url, { ...WS, auth: { token: staffToken('agent-retry-watch') } });
    const news = collect(staff, 'conversation:new');
    const token = staffToken('agent-retry');
    const body = { channel: 'sms', customer: { phone: '+15550177' }, content: 'We got your order' };
    const first = await call('POST', '/conversations', { token, body, headers: { 'Idempotency-Key': 'open-77' } });
    assert.equal(first.status, 201, first.text);
    assert.equal(first.json.message.duplicate, false);
    const again = await call('POST', '/conversations', { token, body, headers: { 'Idempotency-Key': 'open-77' } });
    assert.equal(again.status, 201, again.text);
    assert.equal(again.json.conversation.id, first.json.conversation.id);
    assert.equal(again.json.message.id, first.json.message.id);
    assert.equal(again.json.message.duplicate, true);
    const other = await call('POST', '/conversations', { token, body: { ...body, clientId: 'open-78' } });
    assert.notEqual(other.json.conversation.id, first.json.conversation.id);
    await until('a conversation:new for each conversation made', () => news.length === 2);
    const rows = await db.query('SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1', [first.json.conversation.id]);
    assert.equal(rows[0].n, 1);
    assert.deepEqual(news.map((c) => c.id).sort(), [first.json.conversation.id, other.json.conversation.id].sort());
  });

  test('GET /conversations filters and pages; a customer sees only their own website conversations', async () => {
    const token = staffToken();
    const made = [];
    for (let i = 0; i < 3; i++) made.push((await call('POST', '/conversations', { token, body: { channel: 'sms', customer: { phone: `+1555020${i}` } } })).json.conversation.id);
    const sms = await call('GET', '/conversations?channel=sms&limit=2', { token });
    assert.equal(sms.status, 200);
    assert.equal(sms.json.conversations.length, 2);
    assert.ok(sms.json.conversations.every((c) => c.channel === 'sms'));
    assert.ok(sms.json.nextCursor);
    const seen = new Set(sms.json.conversations.map((c) => c.id));
    let cursor = sms.json.nextCursor;
    while (cursor) {
      const page = await call('GET', `/conversations?channel=sms&limit=2&cursor=${encodeURIComponent(cursor)}`, { token });
      page.json.conversations.forEach((c) => seen.add(c.id));
      cursor = page.json.nextCursor;
    }
    for (const id of made) assert.ok(seen.has(id));
    const patched = await call('PATCH', `/conversations/${made[0]}`, { token, body: { assignee: 'agent-1', status: 'pending', priority: 2 } });
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.json.conversation.assignedStaffId, 'agent-1');
    const mine = await call('GET', '/conversations?assigned=me', { token });
    assert.deepEqual(mine.json.conversations.map((c) => c.id), [made[0]]);
    const unassigned = await call('GET', '/conversations?assigned=none&channel=sms', { token });
    assert.ok(!unassigned.json.conversations.some((c) => c.id === made[0]));
    const pending = await call('GET', '/conversations?status=pending', { token });
    assert.deepEqual(pending.json.conversations.map((c) => c.id), [made[0]]);
    const human = await call('GET', '/conversations?requiresHuman=true', { token });
    assert.equal(human.json.conversations.length, 0);
    for (const q of ['status=lost', 'channel=fax', 'limit=0', 'limit=abc', 'cursor=zzz', 'requiresHuman=maybe', 'assigned=perhaps']) {
      const r = await call('GET', `/conversations?${q}`, { token });
      assert.equal(r.status, 400, q);
    }
    // A customer sees their website conversations only.
    await call('POST', '/conversations', { token, body: { channel: 'website', customer: { externalId: 'frank' } } });
    const frank = await call('GET', '/conversations', { token: customerToken('frank') });
    assert.equal(frank.json.conversations.length, 1);
    assert.equal(frank.json.conversations[0].customerId, 'frank');
  });

  test('GET and PATCH /conversations/{id}: 404 for none, 400 for a bad id, conversation:updated to staff', async () => {
    const token = staffToken();
    const { id } = (await call('POST', '/conversations', { token, body: { channel: 'website', customer: { externalId: 'gina' } } })).json.conversation;
    const got = await call('GET', `/conversations/${id}`, { token: customerToken('gina') });
    assert.equal(got.status, 200);
    assert.equal(got.json.conversation.id, id);
    const staff = await connect(server.url, { ...WS, auth: { token: staffToken('agent-8') } });
    const updates = collect(staff, 'conversation:updated');
    const r = await call('PATCH', `/conversations/${id}`, { token, body: { status: 'resolved', requiresHuman: true } });
    assert.equal(r.json.conversation.status, 'resolved');
    assert.equal(r.json.conversation.requiresHuman, true);
    await until('conversation:updated', () => updates.some((c) => c.id === id && c.status === 'resolved'));
    assert.equal((await call('GET', '/conversations/7d4f0e38-8f0a-4a55-9e31-000000000000', { token })).status, 404);
    assert.equal((await call('GET', '/conversations/not-a-uuid', { token })).status, 400);
    assert.equal((await call('PATCH', `/conversations/${id}`, { token, body: { priority: 9 } })).status, 400);
    assert.equal((await call('PATCH', '/conversations/7d4f0e38-8f0a-4a55-9e31-000000000000', { token, body: { status: 'open' } })).status, 404);
  });

  test("a customer cannot read another customer's conversation, nor a channel customer's by a look-alike sub", async () => {
    const token = staffToken();
    const sms = (await call('POST', '/conversations', { token, body: { channel: 'sms', customer: { phone: '+15550999' }, content: 'secret code 4711', clientId: 'sms-1' } })).json.conversation;
    assert.equal(sms.customerId, 'sms:+15550999');
    const bobs = (await call('POST', '/conversations', { token, body: { channel: 'website', customer: { externalId: 'bob' }, content: 'bob only', clientId: 'b-1' } })).json.conversation;
    for (const sub of ['sms:+15550999', '+15550999', 'alice']) {
      const t = customerToken(sub);
      for (const id of [sms.id, bobs.id]) {
        for (const [method, route, body] of [
          ['GET', `/conversations/${id}`],
          ['GET', `/conversations/${id}/messages`],
          ['POST', `/conversations/${id}/messages`, { content: 'hi', clientId: `x-${sub}` }],
          ['POST', `/conversations/${id}/read`, { seq: 1 }],
          ['POST', '/realtime/subscribe', { conversationId: id }],
        ]) {
          const r = await call(method, route, { token: t, body });
          assert.ok([403, 404].includes(r.status), `${sub} ${method} ${route}: ${r.status}`);
          assert.ok(!r.text.includes('secret code') && !r.text.includes('bob only') && !r.text.includes('"conversation"'), r.text);
        }
      }
      const list = await call('GET', '/conversations', { token: t });
      assert.ok(!list.json.conversations.some((c) => c.id === sms.id || c.id === bobs.id), sub);
    }
    const stored = await db.query('SELECT count(*)::int AS n FROM messages WHERE conversation_id = ANY($1::uuid[])', [[sms.id, bobs.id]]);
    assert.equal(stored[0].n, 2, 'nothing was stored by the refused sends');
  });

  test('POST messages is durable and idempotent by clientId or Idempotency-Key, and reaches joined sockets live', async () => {
    const token = staffToken('agent-1', 'Sam');
    const { id } = (await call('POST', '/conversations', { token, body: { channel: 'website', customer: { externalId: 'hank' } } })).json.conversation;
    const hank = await connect(server.url, { ...WS, auth: { token: customerToken('hank') } });
    const joined = await hank.timeout(10_000).emitWithAck('conversation:join', { conversationId: id });
    assert.equal(joined.more, false);
    const live = collect(hank, 'message:new');
    const first = await call('POST', `/conversations/${id}/messages`, { token, body: { content: 'Hi Hank', clientId: 'c-1' } });
    assert.equal(first.status, 201, first.text);
    assert.equal(first.json.seq, 1);
    assert.equal(first.json.duplicate, false);
    assert.equal(first.json.senderName, 'Sam');
    const again = await call('POST', `/conversations/${id}/messages`, { token, body: { content: 'other text', clientId: 'c-1' } });
    assert.equal(again.status, 200);
    assert.equal(again.json.duplicate, true);
    assert.equal(again.json.id, first.json.id);
    assert.equal(again.json.content, 'Hi Hank');
    const keyed = await call('POST', `/conversations/${id}/messages`, { token, body: { content: 'By key' }, headers: { 'Idempotency-Key': 'k-77' } });
    assert.equal(keyed.status, 201);
    const keyedAgain = await call('POST', `/conversations/${id}/messages`, { token, body: { content: 'By key' }, headers: { 'Idempotency-Key': 'k-77' } });
    assert.equal(keyedAgain.json.duplicate, true);
    assert.equal(keyedAgain.json.id, keyed.json.id);
    const rows = await db.query('SELECT client_message_id FROM messages WHERE conversation_id = $1 ORDER BY seq', [id]);
    assert.deepEqual(rows.map((r) => r.client_message_id), ['c-1', 'k-77']);
    await until('both messages live on the joined socket', () => live.length === 2);
    assert.deepEqual(live.map((m) => [m.seq, m.content]), [[1, 'Hi Hank'], [2, 'By key']]);
    // The customer answers over REST too; the clientId is theirs alone.
    const reply = await call('POST', `/conversations/${id}/messages`, { token: customerToken('hank'), body: { content: 'Thanks', clientId: 'c-1' } });
    assert.equal(reply.status, 201);
    assert.equal(reply.json.senderType, 'customer');
    const { id: other } = (await call('POST', '/conversations', { token, body: { channel: 'website', customer: { externalId: 'hank' } } })).json.conversation;
    const clash = await call('POST', `/conversations/${other}/messages`, { token, body: { content: 'x', clientId: 'c-1' } });
    assert.equal(clash.status, 409);
    assert.equal(clash.json.error.code, 'conflict');
    assert.equal((await call('POST', `/conversations/${id}/messages`, { token, body: { content: 'no id' } })).status, 400);
    assert.equal((await call('POST', `/conversations/${id}/messages`, { token, body: { content: 7, clientId: 'n' } })).status, 400);
  });

  test('GET messages pages by afterSeq, beforeSeq and limit', async () => {
    const token = staffToken();
    const { id } = (await call('POST', '/conversations', { token, body: { channel: 'website', customer: { externalId: 'ivy' } } })).json.conversation;
    for (let i = 1; i <= 7; i++) assert.equal((await call('POST', `/conversations/${id}/messages`, { token, body: { content: `m${i}`, clientId: `ivy-${i}` } })).status, 201);
    const newest = await call('GET', `/conversations/${id}/messages?limit=3`, { token });
    assert.deepEqual(newest.json.messages.map((m) => m.seq), [5, 6, 7]);
    assert.equal(newest.json.more, true);
    const before = await call('GET', `/conversations/${id}/messages?beforeSeq=5&limit=3`, { token });
    assert.deepEqual(before.json.messages.map((m) => m.seq), [2, 3, 4]);
    const afterSeq = await call('GET', `/conversations/${id}/messages?afterSeq=2&limit=3`, { token });
    assert.deepEqual(afterSeq.json.messages.map((m) => m.seq), [3, 4, 5]);
    assert.equal(afterSeq.json.more, true);
    const window = await call('GET', `/conversations/${id}/messages?afterSeq=5&beforeSeq=7`, { token: customerToken('ivy') });
    assert.deepEqual(window.json.messages.map((m) => m.content), ['m6']);
    assert.equal(window.json.more, false);
    for (const q of ['limit=101', 'afterSeq=-1', 'beforeSeq=x']) assert.equal((await call('GET', `/conversations/${id}/messages?${q}`, { token })).status, 400, q);
  });

  test('POST read moves the read mark and pushes unread; GET /unread counts', async () => {
    const token = staffToken();
    const { id } = (await call('POST', '/conversations', { token, body: { channel: 'website', customer: { externalId: 'jill' } } })).json.conversation;
    for (let i = 1; i <= 3; i++) await call('POST', `/conversations/${id}/messages`, { token, body: { content: `n${i}`, clientId: `jill-${i}` } });
    const jill = customerToken('jill');
    const before = await call('GET', '/unread', { token: jill });
    assert.equal(before.json.total, 3);
    assert.equal(before.json.conversations[id], 3);
    const socket = await connect(server.url, { ...WS, auth: { token: jill } });
    const pushes = collect(socket, 'unread');
    const read = await call('POST', `/conversations/${id}/read`, { token: jill, body: { seq: 2 } });
    assert.equal(read.status, 200, read.text);
    assert.deepEqual(read.json, { unread: 1 });
    await until('the unread push', () => pushes.some((u) => u.conversationId === id && u.count === 1));
    assert.equal((await call('GET', '/unread', { token: jill })).json.total, 1);
    assert.equal((await call('POST', `/conversations/${id}/read`, { token: jill, body: { seq: 0 } })).status, 400);
  });

  test('POST /widget/sessions makes a customer with a working token, rate limited per address', async () => {
    const made = await call('POST', '/widget/sessions', { body: { name: 'Visitor' } });
    assert.equal(made.status, 201, made.text);
    assert.match(made.json.customerId, /^visitor-[0-9a-f]{32}$/);
    const rows = await db.query("SELECT name FROM customers WHERE channel = 'website' AND external_id = $1", [made.json.customerId]);
    assert.deepEqual(rows, [{ name: 'Visitor' }]);
    const badName = await call('POST', '/widget/sessions', { body: { name: 5 } });
    assert.equal(badName.status, 400);
    // The token works for Socket.IO and for REST.
    const socket = await connect(server.url, { ...WS, auth: { token: made.json.token } });
    const created = await socket.timeout(10_000).emitWithAck('conversation:create', { content: 'hello', clientId: 'w-1' });
    assert.equal(created.conversation.customerId, made.json.customerId);
    const list = await call('GET', '/conversations', { token: made.json.token });
    assert.deepEqual(list.json.conversations.map((c) => c.id), [created.conversation.id]);
    // --widget-sessions-per-minute 3 on each shard (the rate limit comes first, so the refused name
    // counted too): at most 4 more pass from this address.
    let limited;
    for (let i = 0; i < 10 && !limited; i++) {
      const r = await call('POST', '/widget/sessions');
      if (r.status === 429) limited = r;
      else assert.equal(r.status, 201);
    }
    assert.ok(limited, 'the rate limit refused one');
    assert.equal(limited.json.error.code, 'rate_limited');
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
  });

  test('POST /realtime/subscribe says where to connect and what arrives, authorized as a join', async () => {
    const token = staffToken();
    const { id } = (await call('POST', '/conversations', { token, body: { channel: 'website', customer: { externalId: 'kim' } } })).json.conversation;
    const r = await call('POST', '/realtime/subscribe', { token: customerToken('kim'), body: { conversationId: id, includePresence: false, includeTyping: true, includeReadReceipts: true } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.success, true);
    assert.equal(typeof r.json.version, 'string');
    assert.ok(!Number.isNaN(Date.parse(r.json.timestamp)));
    const { channels, features, filters, connection } = r.json.data;
    assert.deepEqual(features, { presence: false, typing: true, readReceipts: true, connectionStateRecovery: true });
    assert.equal(filters.conversationId, id);
    const room = channels.find((c) => c.name === `conversation:${id}`);
    assert.deepEqual(room.events.sort(), ['conversation:updated', 'message:new', 'message:status', 'typing']);
    assert.ok(channels.some((c) => c.name === 'user:customer:kim'));
    assert.equal(connection.path, '/socket.io/');
    assert.equal(connection.url, server.url);
    // The answer is usable as it stands: connect and join with it.
    const socket = await connect(connection.url, { ...WS, path: connection.path, auth: { token: customerToken('kim') } });
    const joined = await socket.timeout(10_000).emitWithAck(room.join.event, room.join.payload);
    assert.equal(joined.conversation.id, id);
    const staffView = await call('POST', '/realtime/subscribe', { token, body: {} });
    assert.ok(staffView.json.data.channels.some((c) => c.name === 'staff'));
    assert.equal(staffView.json.data.filters.conversationId, null);
    assert.equal((await call('POST', '/realtime/subscribe', { token, body: { includeTyping: 'yes' } })).status, 400);
  });

  test('bad requests: 415 for a non-JSON body, 413 past --rest-max-body, 400 for bad JSON, 404 and 405 for routes', async () => {
    const token = staffToken();
    const text = await call('POST', '/conversations', { token, raw: 'channel=sms', headers: { 'Content-Type': 'text/plain' } });
    assert.equal(text.status, 415);
    assert.equal(text.json.error.code, 'unsupported_media_type');
    const big = await call('POST', '/conversations', { token, body: { channel: 'website', customer: { externalId: 'x' }, subject: 'y'.repeat(5000) } });
    assert.equal(big.status, 413);
    assert.equal(big.json.error.code, 'payload_too_large');
    const broken = await call('POST', '/conversations', { token, raw: '{"channel":', headers: { 'Content-Type': 'application/json' } });
    assert.equal(broken.status, 400);
    const array = await call('POST', '/conversations', { token, body: [1, 2] });
    assert.equal(array.status, 400);
    const missing = await call('GET', '/nothing-here', { token });
    assert.equal(missing.status, 404);
    assert.equal(missing.json.error.code, 'not_found');
    const wrong = await call('DELETE', '/conversations', { token });
    assert.equal(wrong.status, 405);
    assert.match(wrong.headers.get('allow'), /GET/);
    // Every refusal is counted by status in /metrics.
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    for (const status of [400, 401, 403, 404, 405, 413, 415, 429])
      assert.match(metrics, new RegExp(`^ringcast_rest_responses_total\\{status="${status}"\\} [1-9]`, 'm'), String(status));
    assert.match(metrics, /^ringcast_rest_responses_total\{status="201"\} [1-9]/m);
  });

  test('browsers on other origins: the preflight is answered and answers carry CORS (--cors-origin)', async () => {
    const pre = await fetch(`${server.url}/api/v1/widget/sessions`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://shop.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type, authorization' },
    });
    assert.equal(pre.status, 204);
    assert.match(pre.headers.get('access-control-allow-methods'), /PATCH/);
    assert.equal(pre.headers.get('access-control-allow-headers'), 'content-type, authorization');
    assert.equal(pre.headers.get('access-control-allow-origin'), '*');
    const r = await call('GET', '/conversations', { headers: { Origin: 'https://shop.example' } });
    assert.equal(r.status, 401);
    assert.equal(r.headers.get('access-control-allow-origin'), '*');
  });

  test('a server with only a public key answers widget sessions 501 and still verifies tokens; --public-url is the URL realtime/subscribe hands out', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ringcast-rest-'));
    const file = path.join(dir, 'public.pem');
    writeFileSync(file, publicKey.export({ type: 'spki', format: 'pem' }));
    const other = await startServer('inbox', ['--ai-backend', 'off', '--jwt-public-key', file, '--database-url', db.url,
      '--public-url', 'https://support.example.com/']);
    try {
      const r = await restClient(other)('POST', '/widget/sessions');
      assert.equal(r.status, 501);
      assert.match(r.json.error.message, /--jwt-secret/);
      const staff = signJwt({ sub: 'agent-es', role: 'staff' }, { alg: 'ES256', privateKey });
      // Each shard connects to the database after it listens: wait for it (503 until then).
      await until('the other server reaching its database', async () => (await restClient(other)('GET', '/unread', { token: staff })).status === 200);
      assert.equal((await restClient(other)('GET', '/unread', { token: signJwt({ sub: 'a', role: 'staff' }, { secret: SECRET }) })).status, 401);
      const where = await restClient(other)('POST', '/realtime/subscribe', { token: staff, body: {} });
      assert.equal(where.status, 200, where.text);
      assert.equal(where.json.data.connection.url, 'https://support.example.com', 'the public URL, without its trailing slash');
    } finally {
      await stopServer(other);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('with PostgreSQL away, database routes answer 503 with Retry-After and recover after', async () => {
    const token = staffToken();
    db.stop();
    try {
      await until('503 from the list', async () => (await call('GET', '/conversations', { token })).status === 503);
      const r = await call('GET', '/conversations', { token });
      assert.equal(r.json.error.code, 'unavailable');
      assert.ok(Number(r.headers.get('retry-after')) >= 1);
      assert.equal((await call('GET', '/unread', { token })).status, 503);
      assert.equal((await call('GET', '/metrics/summary', { token })).status, 503);
    } finally {
      db.start();
    }
    await until('the list again', async () => (await call('GET', '/conversations', { token })).status === 200, 20_000);
  });
});

describe(`REST metrics summary against ${serverKind}`, { skip }, () => {
  let db;
  let server;
  let call;
  before(async () => {
    db = await startPostgres();
    server = await startServer('inbox', ['--ai-backend', 'off', '--jwt-secret', SECRET, '--database-url', db.url]);
    await waitReady(server);
    call = restClient(server);
  });
  after(() => stopSuite(db, server));

  const p95 = (values) => {
    // percentile_cont: linear interpolation between the closest ranks.
    const s = [...values].sort((a, b) => a - b);
    const rank = 0.95 * (s.length - 1);
    const lo = Math.floor(rank);
    return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (rank - lo);
  };

  test('GET /metrics/summary matches the figures of what the test sent', async () => {
    const token = staffToken('agent-m');
    const sent = { website: 0, sms: 0, email: 0 };
    const firstResponses = [];
    const ids = [];
    for (const [channel, customer] of [['website', { externalId: 'm-1' }], ['website', { externalId: 'm-2' }], ['sms', { phone: '+15550300' }], ['email', { email: 'm@example.com' }]]) {
      const c = (await call('POST', '/conversations', { token, body: { channel, customer } })).json.conversation;
      ids.push(c);
      if (channel === 'website') {
        // The customer writes, staff answer: a first response the test can time from the acks.
        const q = await call('POST', `/conversations/${c.id}/messages`, { token: customerToken(customer.externalId), body: { content: 'help', clientId: `q-${c.id}` } });
        await sleep(20);
        const a = await call('POST', `/conversations/${c.id}/messages`, { token, body: { content: 'here', clientId: `a-${c.id}` } });
        firstResponses.push(Date.parse(a.json.createdAt) - Date.parse(q.json.createdAt));
        sent.website += 2;
      } else {
        await call('POST', `/conversations/${c.id}/messages`, { token, body: { content: 'note', clientId: `n-${c.id}` } });
        sent[channel] += 1;
      }
    }
    await call('PATCH', `/conversations/${ids[2].id}`, { token, body: { status: 'resolved' } });
    await call('PATCH', `/conversations/${ids[3].id}`, { token, body: { requiresHuman: true } });
    // AI jobs as the AI leaves them: response times, one failed, one pending, one processing.
    const responseMs = [120, 340, 95, 800, 410];
    for (const ms of responseMs)
      await db.query("INSERT INTO ai_jobs (conversation_id, status, outcome, response_ms, completed_at) VALUES ($1, 'completed', 'answered', $2, now())", [ids[0].id, ms]);
    await db.query("INSERT INTO ai_jobs (conversation_id, status, outcome, completed_at) VALUES ($1, 'failed', 'failed', now())", [ids[0].id]);
    await db.query("INSERT INTO ai_jobs (conversation_id, status) VALUES ($1, 'pending'), ($1, 'processing')", [ids[1].id]);
    // The resolved one had a staff message; resolve one the AI alone handled too.
    const aiOnly = (await call('POST', '/conversations', { token, body: { channel: 'website', customer: { externalId: 'm-3' } } })).json.conversation;
    await call('PATCH', `/conversations/${aiOnly.id}`, { token, body: { status: 'closed' } });

    const r = await call('GET', '/metrics/summary?windowMinutes=60', { token });
    assert.equal(r.status, 200, r.text);
    const s = r.json;
    assert.equal(s.windowMinutes, 60);
    assert.deepEqual(s.messagesByChannel, { website: sent.website, sms: sent.sms, email: sent.email });
    assert.deepEqual(s.conversationsByChannel, { website: 3, sms: 1, email: 1 });
    assert.deepEqual(s.conversationsByStatus, { open: 3, resolved: 1, closed: 1 });
    assert.equal(s.requiresHuman, 1);
    assert.deepEqual(s.aiQueue, { pending: 1, processing: 1, failed: 1 });
    assert.equal(s.aiResponseTime.count, responseMs.length);
    assert.ok(Math.abs(s.aiResponseTime.averageMs - responseMs.reduce((a, b) => a + b) / responseMs.length) < 1e-9);
    assert.ok(Math.abs(s.aiResponseTime.p95Ms - p95(responseMs)) < 1e-9);
    assert.deepEqual(s.aiResolution, { resolved: 2, resolvedByAi: 1, rate: 0.5 });
    assert.equal(s.staffFirstResponse.count, 2);
    const avg = firstResponses.reduce((a, b) => a + b) / 2;
    assert.ok(Math.abs(s.staffFirstResponse.averageMs - avg) <= 1, `${s.staffFirstResponse.averageMs} vs ${avg}`);
    assert.ok(Math.abs(s.staffFirstResponse.p95Ms - p95(firstResponses)) <= 1);
    for (const q of ['windowMinutes=0', 'windowMinutes=abc', 'windowMinutes=99999999'])
      assert.equal((await call('GET', `/metrics/summary?${q}`, { token })).status, 400, q);
  });
});

describe(`REST knowledge base and the running AI against ${serverKind}`, { skip }, () => {
  let db;
  let server;
  let call;
  before(async () => {
    db = await startPostgres();
    server = await startServer('inbox', ['--ai-backend', 'builtin', '--jwt-secret', SECRET, '--database-url', db.url, '--shards', '2']);
    await waitReady(server);
    call = restClient(server);
  });
  after(() => stopSuite(db, server));

  // A customer asks on a fresh conversation; resolves with the assistant's message.
  async function ask(question, n) {
    const socket = await connect(server.url, { ...WS, auth: { token: customerToken(`kb-${n}`) } });
    const replies = collect(socket, 'message:new');
    const created = await socket.timeout(10_000).emitWithAck('conversation:create', { content: question, clientId: `kb-q-${n}` });
    assert.ok(created.message, JSON.stringify(created));
    await until('the assistant answering', () => replies.some((m) => m.senderType === 'ai'), 15_000);
    socket.close();
    return replies.find((m) => m.senderType === 'ai');
  }

  test('knowledge entries made, changed and deleted over REST are what the AI answers from next', async () => {
    const token = staffToken();
    const made = await call('POST', '/knowledge', { token, body: { question: 'Do you ship to Iceland?', answer: 'Yes, Iceland deliveries take 6 days.', intent: 'shipping', keywords: ['iceland', 'ship'] } });
    assert.equal(made.status, 201, made.text);
    const id = made.json.entry.id;
    assert.deepEqual(made.json.entry.keywords, ['iceland', 'ship']);
    assert.equal((await call('POST', '/knowledge', { token, body: { question: 'Do you ship to Iceland?', answer: 'dup' } })).status, 409);
    assert.equal((await call('POST', '/knowledge', { token, body: { question: 'q', anwser: 'typo' } })).status, 400);
    const first = await ask('Do you ship to Iceland?', 1);
    assert.equal(first.content, 'Yes, Iceland deliveries take 6 days.');
    const changed = await call('PUT', `/knowledge/${id}`, { token, body: { question: 'Do you ship to Iceland?', answer: 'Iceland: 4 days by air.', keywords: ['iceland', 'ship'] } });
    assert.equal(changed.status, 200, changed.text);
    assert.equal((await ask('Do you ship to Iceland?', 2)).content, 'Iceland: 4 days by air.');
    const list = await call('GET', '/knowledge', { token });
    assert.deepEqual(list.json.entries.map((e) => e.answer), ['Iceland: 4 days by air.']);
    assert.equal((await call('DELETE', `/knowledge/${id}`, { token })).status, 200);
    assert.equal((await call('DELETE', `/knowledge/${id}`, { token })).status, 404);
    assert.equal((await call('PUT', `/knowledge/${id}`, { token, body: { question: 'x', answer: 'y' } })).status, 404);
    assert.equal((await call('PUT', '/knowledge/abc', { token, body: { question: 'x', answer: 'y' } })).status, 400);
    const gone = await ask('Do you ship to Iceland?', 3);
    assert.notEqual(gone.content, 'Iceland: 4 days by air.');
  });
});
